"""The compiler's output in a real Airflow 3: it loads, says what the spec says, and runs."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from dagfactory.emit import compile_specs
from dagfactory.load.discover import discover
from dagfactory.load.document import load_file
from dagfactory.values import parse_duration

from ..conftest import FIXTURES, REPO
from .harness import assert_dags_test_ok, dagrun_state, load_dagbag, run_dags_test

pytestmark = pytest.mark.airflow

SPECS = sorted(p for p in (REPO / "specs").rglob("*.yaml") if not p.name.startswith("_"))
VALID_FIXTURES = sorted((FIXTURES / "valid").glob("*.yaml"))


def expected_edges(chains: list[str]) -> set[tuple[str, str]]:
    """An independent reading of `a >> [b, c] >> d` (not the compiler's parser)."""
    edges = set()
    for chain in chains:
        steps = [[t.strip() for t in s.strip().strip("[]").split(",")] for s in chain.split(">>")]
        edges |= {(u, d) for left, right in itertools.pairwise(steps) for u in left for d in right}
    return edges


def assert_dag_matches_spec(dag: dict[str, Any], spec: dict[str, Any]) -> None:
    assert dag["description"] == spec["description"]
    assert dag["owner"] == spec["owner"]
    assert dag["tags"] == sorted(spec.get("tags", []))
    assert dag["catchup"] == spec.get("catchup", False)
    schedule = spec["schedule"]
    if isinstance(schedule, dict) and "assets" in schedule:
        assert dag["schedule"] == [a if isinstance(a, str) else a["uri"] for a in schedule["assets"]]
    elif isinstance(schedule, dict):
        assert dag["schedule"] == parse_duration(schedule["every"]).total_seconds()
    else:
        assert dag["schedule"] == schedule
    assert dag["timezone"] == spec.get("timezone", "UTC")
    assert dag["start_date_local"].startswith(str(spec["start_date"]).replace(" ", "T"))
    assert dag["params"] == spec.get("params", {})
    assert (dag["user_defined_macros"] or {}) == spec.get("macros", {})
    assert set(dag["tasks"]) == set(spec["tasks"])
    got_edges = {(up, down) for up, task in dag["tasks"].items() for down in task["downstream"]}
    assert got_edges == expected_edges(spec.get("edges", []))
    defaults = spec.get("default_args", {})
    for task_id, task_spec in spec["tasks"].items():
        task = dag["tasks"][task_id]
        assert task["retries"] == task_spec.get("retries", defaults.get("retries", 0))
        assert task["owner"] == task_spec.get("owner", spec["owner"])
        for field in task["template_fields"]:
            if field in task_spec:
                assert task["templated"][field] == task_spec[field], f"{task_id}.{field}"


def compiled_folder(specs: list[Path], root: Path, out: Path) -> Path:
    results = compile_specs(discover(specs, root, REPO))
    assert [d for r in results for d in r.diagnostics if d.is_error] == []
    out.mkdir(parents=True, exist_ok=True)
    for result in results:
        (out / result.spec.output_relative.as_posix()).write_text(result.text or "", encoding="utf-8")
    shutil.copytree(REPO / "generated_dags" / "example_callables", out / "example_callables")
    shutil.copy(REPO / "generated_dags" / ".airflowignore", out / ".airflowignore")
    return out


def check_bag(bag: dict[str, Any], specs: list[Path]) -> None:
    assert bag["import_errors"] == {}
    ours = [w for w in bag["warnings"] if str(Path(bag["dag_folder"])) in (w["filename"] or "")]
    assert ours == [], "warnings raised from generated code"
    # Airflow 3.3.2's own .airflowignore reader calls a deprecated pathspec API; that one is
    # Airflow's (it fires for any dags folder with an .airflowignore), every other must be absent.
    deprecations = [w for w in bag["warnings"] if "Deprecat" in w["category"] and "GitWildMatch" not in w["message"]]
    assert deprecations == []
    for path in specs:
        doc, problems = load_file(path)
        assert problems == []
        assert doc is not None
        dag_id = doc.data.get("dag_id", path.stem)
        assert dag_id in bag["dags"], f"{dag_id} missing from the DagBag"
        assert_dag_matches_spec(bag["dags"][dag_id], doc.data)


def test_committed_generated_dags_load_and_match_their_specs():
    bag = load_dagbag(REPO / "generated_dags")
    assert sorted(bag["dags"]) == sorted(load_file(p)[0].data.get("dag_id", p.stem) for p in SPECS)
    check_bag(bag, SPECS)


def test_valid_fixtures_load_and_match_their_specs(tmp_path: Path):
    folder = compiled_folder(VALID_FIXTURES, FIXTURES / "valid", tmp_path / "dags")
    check_bag(load_dagbag(folder), VALID_FIXTURES)


def test_lineage_becomes_assets_on_root_and_leaf_tasks(tmp_path: Path):
    folder = compiled_folder([FIXTURES / "valid" / "dag_lineage.yaml"], FIXTURES / "valid", tmp_path / "dags")
    tasks = load_dagbag(folder)["dags"]["dag_lineage"]["tasks"]
    # The mysql provider (in the [airflow] extra) normalises mysql:// URIs: the default port is added.
    assert tasks["extract"]["inlets"] == [{"uri": "mysql://rds:3306/hr/employees", "name": "mysql://rds/hr/employees"}]
    assert tasks["load"]["outlets"] == [{"uri": "s3://woori-fisa/yeonji/employee.csv", "name": "employee_csv"}]
    assert tasks["transform"]["inlets"] == tasks["transform"]["outlets"] == []


@pytest.mark.slow
def test_hello_world_runs_in_airflow(airflow_home: Path):
    proc = run_dags_test(airflow_home, REPO / "generated_dags", "hello_world", "2023-01-02")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    assert re.search(r"Running command: \[.*'echo Hello'\]", proc.stdout)
    assert "world" in proc.stdout  # print_world's output, from the example_callables package


@pytest.mark.slow
def test_task_relationship_runs_and_renders_its_template(airflow_home: Path):
    proc = run_dags_test(airflow_home, REPO / "generated_dags", "task_relationship", "2024-04-01")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    # {{ ds }}, {{ macros.ds_add(ds, 7) }} and the task-level {{ params.my_param }}, rendered by Airflow
    rendered = re.findall(r"\] (2024-04-01|2024-04-08|passed value)\s", proc.stdout)
    assert rendered.count("2024-04-01") == 5
    assert rendered.count("2024-04-08") == 5
    assert rendered.count("passed value") == 5
