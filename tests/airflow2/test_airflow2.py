"""Target 2 in real Airflow 2.11: every shipped spec and valid fixture loads, hello_world runs."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dagfactory.load.document import load_file
from dagfactory.operators import CATALOG
from dagfactory.targets import AIRFLOW_2
from tests.airflow.harness import airflow_env, dagrun_state, run_isolated
from tests.airflow.test_generated_dags import FLAVOUR_CLASSES, expected_airflow_view
from tests.conftest import FIXTURES

from .conftest import compile_for_2
from .venv import REPO

pytestmark = pytest.mark.airflow


def test_every_spec_and_fixture_loads_without_import_errors(af2_dagbag: dict[str, Any], af2_dags) -> None:
    _, ids = af2_dags
    assert af2_dagbag["import_errors"] == {}
    expected = sorted(dag_id for names in ids.values() for dag_id in names)
    assert sorted(af2_dagbag["dags"]) == expected
    assert {
        dag_id: d["serialization_error"] for dag_id, d in af2_dagbag["dags"].items() if d["serialization_error"]
    } == {}
    assert len(ids["specs"]) >= 6
    assert len(ids["catalog"]) == len(CATALOG)


def test_no_warnings_from_the_generated_files(af2_dagbag: dict[str, Any]) -> None:
    assert af2_dagbag["warnings"] == []


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_catalog_operators_use_the_target_2_class(af2_dagbag: dict[str, Any], name: str) -> None:
    op = CATALOG[name]
    module, class_name = AIRFLOW_2.operator_path(name, op.module, op.class_name)
    assert af2_dagbag["dags"][f"op_{name}"]["tasks"]["subject"]["operator_class"] == f"{module}.{class_name}"


def test_airflow2_features_are_real(af2_dagbag: dict[str, Any]) -> None:
    dag = af2_dagbag["dags"]["airflow2_features"]
    assert dag["timetable"] == "ContinuousTimetable"
    assert dag["tasks"]["build"]["sla_seconds"] == 5400
    assert dag["tasks"]["consume"]["outlets"] == ["s3://bucket/report.csv"]
    assert "report_csv" in dag["doc_md"]  # Dataset has no name on 2: the docs keep it


def test_dataset_schedule_and_lineage(af2_dagbag: dict[str, Any]) -> None:
    lineage = af2_dagbag["dags"]["dag_lineage"]
    assert lineage["tasks"]["load"]["outlets"] == ["s3://woori-fisa/yeonji/employee.csv"]
    assert lineage["tasks"]["extract"]["inlets"] == ["mysql://rds/hr/employees"]
    assert lineage["timetable"] == "DeltaDataIntervalTimetable"


def dags_test_2(
    af2_python: Path, af2_home: Path, folder: Path, dag_id: str, date: str, conf: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    """`airflow dags test DAG_ID DATE [--conf JSON]` on Airflow 2, the shipped specs compiled for
    target 2 into ``folder``."""
    compile_for_2(REPO / "specs", folder)
    shutil.copytree(REPO / "generated_dags" / "example_callables", folder / "example_callables")
    env = airflow_env(af2_home, folder) | {"PYTHONPATH": str(folder)}
    extra = ["--conf", json.dumps(conf)] if conf is not None else []
    return run_isolated([str(af2_python.with_name("airflow")), "dags", "test", dag_id, date, *extra], env, 300)


@pytest.mark.slow
def test_hello_world_runs_in_airflow_2(af2_python: Path, af2_home: Path, tmp_path: Path) -> None:
    proc = dags_test_2(af2_python, af2_home, tmp_path, "hello_world", "2023-01-02")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert dagrun_state(output) == "success", output[-3000:]
    assert "Hello" in output


@pytest.mark.slow
def test_grouped_pipeline_runs_in_airflow_2(af2_python: Path, af2_home: Path, tmp_path: Path) -> None:
    proc = dags_test_2(af2_python, af2_home, tmp_path, "grouped_pipeline", "2024-04-02")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert dagrun_state(output) == "success", output[-3000:]
    succeeded = re.findall(r"Marking task as SUCCESS\. dag_id=grouped_pipeline, task_id=([\w.]+),", output)
    # every task, under its group-prefixed id, in an order the group edges allow (one at a time here)
    assert succeeded[0] == "start"
    assert sorted(succeeded[1:3]) == ["extract.pull_customers", "extract.pull_orders"]
    assert succeeded[3:] == ["extract.clean.scrub", "report.count_rows", "report.publish", "done"]
    assert "pulling orders" in output


def test_groups_and_labels_on_airflow_2(af2_dagbag: dict[str, Any]) -> None:
    doc, _ = load_file(FIXTURES / "valid" / "groups.yaml")
    assert doc is not None
    view = expected_airflow_view(doc.data)
    dag = af2_dagbag["dags"]["groups"]
    assert {t: dag["tasks"][t]["task_group"] for t in view["groups"]} == view["groups"]
    assert {(up, t) for t, task in dag["tasks"].items() for up in task["upstream"]} == view["edges"]
    assert dag["edge_labels"] == view["labels"]
    assert "extract.pull" in dag["tasks"]


def test_setup_and_teardown_on_airflow_2(af2_dagbag: dict[str, Any]) -> None:
    doc, _ = load_file(FIXTURES / "valid" / "teardown_groups.yaml")
    assert doc is not None
    view = expected_airflow_view(doc.data)
    dag = af2_dagbag["dags"]["teardown_groups"]
    assert {(up, t) for t, task in dag["tasks"].items() for up in task["upstream"]} == view["edges"]
    assert ("create_table", "cleanup") in view["edges"]  # by as_teardown alone: no spec edge joins them
    assert sorted(t for t, task in dag["tasks"].items() if task["is_setup"]) == view["setups"]
    teardowns = {t: task["on_failure_fail_dagrun"] for t, task in dag["tasks"].items() if task["is_teardown"]}
    assert teardowns == view["teardowns"] == {"cleanup": True, "stop_cluster": False}
    assert {dag["tasks"][t]["trigger_rule"] for t in teardowns} == {"all_done_setup_success"}


@pytest.mark.slow
def test_setup_teardown_runs_its_teardown_on_airflow_2(af2_python: Path, af2_home: Path, tmp_path: Path) -> None:
    conf = {"fail_work": True}  # the example's work task fails only when triggered so
    proc = dags_test_2(af2_python, af2_home, tmp_path, "setup_teardown", "2024-04-02", conf)
    output = proc.stdout + proc.stderr
    assert dagrun_state(output) == "failed", output[-3000:]  # work failed; the teardown does not fail the run
    ended = re.findall(r"Marking task as (SUCCESS|FAILED)\. dag_id=setup_teardown, task_id=(\w+),", output)
    assert ended == [("SUCCESS", "create"), ("FAILED", "work"), ("SUCCESS", "cleanup")]
    assert "failing on purpose: fail_work is on" in output
    assert "dropping scratch table" in output


@pytest.mark.slow
def test_setup_teardown_succeeds_by_default_on_airflow_2(af2_python: Path, af2_home: Path, tmp_path: Path) -> None:
    proc = dags_test_2(af2_python, af2_home, tmp_path, "setup_teardown", "2024-04-03")  # no conf: fail_work false
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert dagrun_state(output) == "success", output[-3000:]
    ended = re.findall(r"Marking task as (SUCCESS|FAILED)\. dag_id=setup_teardown, task_id=(\w+),", output)
    assert ended == [("SUCCESS", "create"), ("SUCCESS", "work"), ("SUCCESS", "cleanup")]
    assert "working on scratch table" in output
    assert "failing on purpose" not in output


def test_branching_on_airflow_2(af2_dagbag: dict[str, Any]) -> None:
    doc, _ = load_file(FIXTURES / "valid" / "branch_into_group.yaml")
    assert doc is not None
    dag = af2_dagbag["dags"]["branch_into_group"]
    module, class_name = AIRFLOW_2.operator_path("branch_python", "", "")
    assert dag["tasks"]["choose"]["operator_class"] == f"{module}.{class_name}"
    branches = doc.data["tasks"]["choose"]["branches"]
    assert branches == ["full_load", "incremental"]
    assert sorted(t for t, task in dag["tasks"].items() if "choose" in task["upstream"]) == branches
    assert dag["tasks"]["publish"]["upstream"] == branches


@pytest.mark.slow
def test_branching_runs_in_airflow_2(af2_python: Path, af2_home: Path, tmp_path: Path) -> None:
    proc = dags_test_2(af2_python, af2_home, tmp_path, "branching", "2024-05-01")  # the 1st: full load
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert dagrun_state(output) == "success", output[-3000:]
    succeeded = re.findall(r"Marking task as SUCCESS\. dag_id=branching, task_id=([\w.]+),", output)
    assert succeeded == ["choose", "full_load", "publish"]
    assert "loading everything" in output
    assert "loading the new rows" not in output
    assert "Following branch {'full_load'}" in output
    assert "Skipping tasks [('incremental', -1)]" in output


def test_mapped_tasks_on_airflow_2(af2_dagbag: dict[str, Any]) -> None:
    """The mapping fixture on Airflow 2.11: each mapped task is a MappedOperator of its class with
    the spec's mapped values (another task's result as {xcom: id}, its edge implied) and partial
    arguments; the others are plain operators."""
    doc, _ = load_file(FIXTURES / "valid" / "mapped.yaml")
    assert doc is not None
    spec = doc.data["tasks"]
    tasks = af2_dagbag["dags"]["mapped"]["tasks"]
    assert {t for t, task in tasks.items() if task["is_mapped"]} == {
        "greet",
        "pairs",
        "regions.bash_sets",
        "regions.wait",
        "call",
        "run_each",
        "regions.load_each",
        "load_sets",
    }
    assert tasks["greet"]["operator_class"] == "airflow.operators.bash.BashOperator"
    assert tasks["greet"]["expand"] == {"bash_command": spec["greet"]["expand"]["bash_command"]}
    assert tasks["greet"]["partial_kwargs"]["env"] == {"GREETING": "hello"}
    assert tasks["greet"]["partial_kwargs"]["map_index_template"] == "{{ task.bash_command }}"
    assert tasks["greet"]["partial_kwargs"]["max_active_tis_per_dagrun"] == 2
    assert tasks["pairs"]["expand"]["env"] == [{"A": "1"}, {"A": "2"}, {"A": "3"}]
    assert tasks["regions.bash_sets"]["expand_kind"] == "ListOfDictsExpandInput"
    assert tasks["regions.bash_sets"]["expand"] == spec["bash_sets"]["expand_kwargs"]
    assert tasks["regions.wait"]["expand"] == {"delta": [30, 60]}
    assert tasks["call"]["expand"] == {"op_args": [["north"], ["south"]]}
    assert tasks["call"]["upstream"] == ["regions.bash_sets", "regions.load_each", "regions.wait"]
    # over other tasks' results: the XComArg, and the edge it implies
    assert tasks["run_each"]["expand"] == {"bash_command": {"xcom": "commands"}, "cwd": ["/tmp", "/"]}
    assert tasks["run_each"]["upstream"] == ["commands"]
    assert tasks["regions.load_each"]["operator_class"].endswith("._PythonDecoratedOperator")
    assert tasks["regions.load_each"]["expand"] == {"partition": {"xcom": "partitions"}}
    assert "partitions" in tasks["regions.load_each"]["upstream"]
    assert tasks["load_sets"]["expand_kind"] == "ListOfDictsExpandInput"
    assert tasks["load_sets"]["expand"] == {"xcom": "sets"}
    assert tasks["load_sets"]["upstream"] == ["sets"]


@pytest.mark.slow
def test_mapped_tasks_run_one_instance_per_value_on_airflow_2(af2_python: Path, af2_home: Path, tmp_path: Path) -> None:
    """The shipped mapping example on Airflow 2.11: map indexes 0, 1, 2 of load_region (one per
    item list_regions returned) and of greet_regions (one per literal command) succeed, between
    the unmapped tasks; each load_region instance returned its item."""
    import json

    proc = dags_test_2(af2_python, af2_home, tmp_path, "mapped_tasks", "2024-04-02")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert dagrun_state(output) == "success", output[-3000:]
    with sqlite3.connect(af2_home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, map_index, state, rendered_map_index FROM task_instance WHERE dag_id = 'mapped_tasks'"
        ).fetchall()
        xcoms = db.execute(
            "SELECT task_id, map_index, value FROM xcom WHERE dag_id = 'mapped_tasks' AND key = 'return_value'"
        ).fetchall()
    assert sorted(rows) == [
        ("greet_regions", 0, "success", 'echo "$GREETING north"'),
        ("greet_regions", 1, "success", 'echo "$GREETING south"'),
        ("greet_regions", 2, "success", 'echo "$GREETING east"'),
        ("list_regions", -1, "success", None),
        ("load_region", 0, "success", None),
        ("load_region", 1, "success", None),
        ("load_region", 2, "success", None),
        ("report", -1, "success", None),
    ]
    results = {(task_id, i): json.loads(value) for task_id, i, value in xcoms}
    assert [results[("load_region", i)] for i in range(3)] == ["north", "south", "east"]
    ended = re.findall(
        r"Marking task as SUCCESS\. dag_id=mapped_tasks, task_id=(\w+), run_id=\S+, (map_index=\d)?", output
    )
    assert ended[0] == ("list_regions", "")
    assert ended[-1] == ("report", "")  # after every map index
    for region in ("north", "south", "east"):
        assert f"hello {region}" in output


def test_taskflow_tasks_and_references_on_airflow_2(af2_dagbag: dict[str, Any]) -> None:
    """Every TaskFlow flavour is its decorator's operator on Airflow 2 too, and each reference
    is an edge Airflow set (no spec edge names most of them)."""
    doc, _ = load_file(FIXTURES / "valid" / "taskflow_flavours.yaml")
    assert doc is not None
    view = expected_airflow_view(doc.data)
    dag = af2_dagbag["dags"]["taskflow_flavours"]
    assert {(up, t) for t, task in dag["tasks"].items() for up in task["upstream"]} == view["edges"]
    assert ("stage.early", "late") in view["edges"]  # by a reference alone
    for task_id, body in doc.data["tasks"].items():
        if "task" in body:
            got = dag["tasks"][view["ids"][task_id]]["operator_class"]
            assert got.endswith("." + FLAVOUR_CLASSES[body["task"]]), (task_id, got)
    assert {t: dag["tasks"][t]["task_group"] for t in view["groups"]} == view["groups"]


@pytest.mark.slow
def test_taskflow_values_reach_the_downstream_tasks_in_airflow_2(
    af2_python: Path, af2_home: Path, tmp_path: Path
) -> None:
    proc = dags_test_2(af2_python, af2_home, tmp_path, "taskflow_xcom", "2024-04-02")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert dagrun_state(output) == "success", output[-3000:]
    succeeded = re.findall(r"Marking task as SUCCESS\. dag_id=taskflow_xcom, task_id=([\w.]+),", output)
    assert succeeded == ["extract", "summarize", "report"]
    # summarize's result, built from two keys of extract's, in the bash task's environment
    assert "Done. Returned value was: shop: 3 orders, 65 EUR" in output
    assert "report: shop: 3 orders, 65 EUR" in output
