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


def xcom_sources(value: Any) -> set[str]:
    """The tasks whose results {xcom: task_id} mappings in ``value`` name."""
    if isinstance(value, dict) and "xcom" in value:
        return {value["xcom"]}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return set().union(*(xcom_sources(v) for v in items))


def in_airflow_ids(value: Any, ids: dict[str, str]) -> Any:
    """A spec value with each reference's task id made its Airflow id (as the DagBag dump writes them)."""
    if isinstance(value, dict) and "xcom" in value:
        return {**value, "xcom": ids[value["xcom"]]}
    if isinstance(value, dict):
        return {k: in_airflow_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [in_airflow_ids(v, ids) for v in value]
    return value


FLAVOUR_CLASSES = {
    "python": "_PythonDecoratedOperator",
    "branch": "_BranchPythonDecoratedOperator",
    "short_circuit": "_ShortCircuitDecoratedOperator",
    "bash": "_BashDecoratedOperator",
    "virtualenv": "_PythonVirtualenvDecoratedOperator",
    "external_python": "_PythonExternalDecoratedOperator",
}


def expected_airflow_view(spec: dict[str, Any]) -> dict[str, Any]:
    """What Airflow should hold for a spec with groups and labels, read independently of the
    compiler: each task's Airflow id and group id, the task edges (a group stands for its roots
    or leaves as they are when its line runs), and each labelled edge's label; in Airflow ids."""
    groups = spec.get("groups") or {}
    tasks = spec["tasks"]

    def prefixes(g: str | None) -> bool:
        return g is not None and groups[g].get("prefix_group_id", True)

    def gid(g: str) -> str:
        parent = groups[g].get("group")
        return f"{gid(parent)}.{g}" if prefixes(parent) else g

    def chain_of(g: str | None) -> list[str]:
        return [g, *chain_of(groups[g].get("group"))] if g is not None else []

    ids = {t: f"{gid(body['group'])}.{t}" if prefixes(body.get("group")) else t for t, body in tasks.items()}
    # A reference to another task's result is an edge from that task, set when the tasks are made
    # (before every edge line): {xcom: ...} found anywhere in a task's body.
    edges: set[tuple[str, str]] = {(source, t) for t, body in tasks.items() for source in xcom_sources(body)}
    labels: dict[tuple[str, str], str] = {}

    def ends(node: str, leaves: bool) -> list[str]:
        if node in tasks:
            return [node]
        inside = [t for t, body in tasks.items() if node in chain_of(body.get("group"))]
        linked = {(u, d) if leaves else (d, u) for u, d in edges}  # (t, o): o is downstream (upstream) of t
        return [t for t in inside if not any((t, o) in linked for o in inside)]

    for item in spec.get("edges") or []:
        if isinstance(item, dict):
            steps, label = [[item["from"]], [item["to"]]], item["label"]
        else:
            steps, label = [[t.strip() for t in s.strip().strip("[]").split(",")] for s in item.split(">>")], None
        for left, right in itertools.pairwise(steps):
            new = {(u, d) for x in left for y in right for u in ends(x, True) for d in ends(y, False)}
            if label is not None:  # set_downstream(edge_modifier=Label): where Airflow keeps the label
                up, down = left[0], right[0]
                up_id = ids[up] if up in tasks else f"{gid(up)}.downstream_join_id"
                down_id = ids[down] if down in tasks else f"{gid(down)}.upstream_join_id"
                labels[(up_id, down_id)] = label
                if up in tasks:  # a task labels each edge to the group's roots too
                    labels |= {(ids[u], ids[d]): label for u, d in new}
            edges |= new
    # as_teardown(setups=...), rendered after the edges, makes each setup upstream of its teardown
    for t, body in tasks.items():
        edges |= {(s, t) for s in (body.get("teardown") or {}).get("setups", [])}
    return {
        "ids": ids,
        "groups": {ids[t]: gid(body["group"]) if body.get("group") else None for t, body in tasks.items()},
        "group_ids": {g: gid(g) for g in groups},
        "edges": {(ids[u], ids[d]) for u, d in edges},
        "labels": {f"{u} >> {d}": text for (u, d), text in labels.items()},
        "setups": sorted(ids[t] for t, body in tasks.items() if body.get("setup") is True),
        "teardowns": {
            ids[t]: body["teardown"].get("on_failure_fail_dagrun", False)
            for t, body in tasks.items()
            if "teardown" in body
        },
    }


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
    view = expected_airflow_view(spec)
    assert set(dag["tasks"]) == set(view["ids"].values())
    got_edges = {(up, down) for up, task in dag["tasks"].items() for down in task["downstream"]}
    assert got_edges == view["edges"]
    if not spec.get("groups") and all(isinstance(e, str) for e in spec.get("edges", [])):
        implicit = {(s, t) for t, body in spec["tasks"].items() for s in (body.get("teardown") or {}).get("setups", [])}
        implicit |= {(s, t) for t, body in spec["tasks"].items() for s in xcom_sources(body)}
        assert got_edges == expected_edges(spec.get("edges", [])) | implicit
    assert {t: dag["tasks"][t]["task_group"] for t in view["groups"]} == view["groups"]
    assert dag["edge_labels"] == view["labels"]
    assert sorted(t for t, task in dag["tasks"].items() if task["is_setup"]) == view["setups"]
    teardowns = {t: task["on_failure_fail_dagrun"] for t, task in dag["tasks"].items() if task["is_teardown"]}
    assert teardowns == view["teardowns"]
    for t in teardowns:
        assert dag["tasks"][t]["trigger_rule"] == "all_done_setup_success"
    defaults = spec.get("default_args", {})
    groups = spec.get("groups") or {}
    for task_id, task_spec in spec["tasks"].items():
        task = dag["tasks"][view["ids"][task_id]]
        group_defaults: dict[str, Any] = {}
        group = task_spec.get("group")
        while group is not None:  # a group's default_args over its parent's, over the DAG's
            group_defaults = {**groups[group].get("default_args", {}), **group_defaults}
            group = groups[group].get("group")
        retries = task_spec.get("retries", group_defaults.get("retries", defaults.get("retries", 0)))
        assert task["retries"] == retries
        assert task["owner"] == task_spec.get("owner", spec["owner"])
        for field in task["template_fields"]:
            if field in task_spec:
                assert task["templated"][field] == in_airflow_ids(task_spec[field], view["ids"]), f"{task_id}.{field}"
        if "task" in task_spec:  # TaskFlow: the decorator's operator, the function, its keyword arguments
            assert task["operator_class"].endswith("." + FLAVOUR_CLASSES[task_spec["task"]])
            assert task["python_callable"] == task_spec["callable"]
            assert task["templated"]["op_kwargs"] == in_airflow_ids(task_spec.get("args", {}), view["ids"])
        assert_mapping_matches(task, task_spec, task_id, view["ids"])
        if "branches" in task_spec:  # documented, never passed: Airflow follows direct downstream tasks
            assert task["operator_class"].endswith((".BranchPythonOperator", "._BranchPythonDecoratedOperator"))
            assert {view["ids"][b] for b in task_spec["branches"]} <= set(task["downstream"])
            assert "branches" not in task


def mapped_value(value: Any) -> Any:
    """A literal mapped value as Airflow holds it: a duration (written like 30s or 1h30m) in seconds."""
    if isinstance(value, str) and value and value[0].isdigit():
        try:
            return parse_duration(value).total_seconds()
        except ValueError:
            return value
    return value


def assert_mapping_matches(task: dict[str, Any], task_spec: dict[str, Any], task_id: str, ids: dict[str, str]) -> None:
    """A task with `expand`/`expand_kwargs` is a MappedOperator holding those values (another task's
    result as {xcom: its Airflow id}), and no other task is; map_index_template and
    max_active_tis_per_dagrun reach it, and so do the partial arguments."""
    mapped = "expand" in task_spec or "expand_kwargs" in task_spec
    assert task["is_mapped"] is mapped, task_id
    if not mapped:
        return
    if "expand_kwargs" in task_spec:
        assert task["expand_kind"] == "ListOfDictsExpandInput"
        sets = task_spec["expand_kwargs"]
        want = (
            in_airflow_ids(sets, ids) if "xcom" in sets else [{k: mapped_value(v) for k, v in s.items()} for s in sets]
        )
        assert task["expand"] == want, task_id
    else:
        assert task["expand_kind"] == "DictOfListsExpandInput"
        want = {
            k: in_airflow_ids(vs, ids) if isinstance(vs, dict) else [mapped_value(v) for v in vs]
            for k, vs in task_spec["expand"].items()
        }
        assert task["expand"] == want, task_id
    assert task["map_index_template"] == task_spec.get("map_index_template")
    assert task["max_active_tis_per_dagrun"] == task_spec.get("max_active_tis_per_dagrun")
    for name in ("env", "cwd", "retries"):  # partial arguments: the same for every map index
        if name in task_spec:
            assert task["partial_kwargs"][name] == task_spec[name], (task_id, name)


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


@pytest.mark.slow
def test_grouped_pipeline_runs_in_airflow_in_group_order(airflow_home: Path):
    """The shipped groups example runs: every task instance (under its group-prefixed id)
    succeeds, and each ran after every task the groups' edges put upstream of it."""
    import sqlite3
    from datetime import datetime

    proc = run_dags_test(airflow_home, REPO / "generated_dags", "grouped_pipeline", "2024-04-02")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    spec = load_file(REPO / "specs" / "grouped_pipeline.yaml")[0]
    assert spec is not None
    view = expected_airflow_view(spec.data)
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, state, start_date, end_date FROM task_instance WHERE dag_id = 'grouped_pipeline'"
        ).fetchall()
    ran = {
        task_id: (state, datetime.fromisoformat(start), datetime.fromisoformat(end))
        for task_id, state, start, end in rows
    }
    assert sorted(ran) == sorted(view["ids"].values())
    assert "extract.clean.scrub" in ran
    assert {state for state, _, _ in ran.values()} == {"success"}
    assert view["edges"] == {
        ("start", "extract.pull_orders"),
        ("start", "extract.pull_customers"),
        ("extract.pull_orders", "extract.clean.scrub"),
        ("extract.pull_customers", "extract.clean.scrub"),
        ("extract.clean.scrub", "report.count_rows"),  # extract's only leaf, report's only root
        ("report.count_rows", "report.publish"),
        ("report.publish", "done"),
    }
    assert "pulling orders" in proc.stdout  # a grouped task's own output
    for up, down in sorted(view["edges"]):
        assert ran[up][2] <= ran[down][1], f"{down} started before {up} ended"


def setup_teardown_run(airflow_home: Path, date: str) -> dict[str, tuple[str, Any, Any]]:
    """The task instances of the setup_teardown run of logical ``date``: task -> (state, start, end);
    the run's own state under "run" (the session's DB holds every test's runs)."""
    import sqlite3
    from datetime import datetime

    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute(
            "SELECT ti.task_id, ti.state, ti.start_date, ti.end_date FROM task_instance ti JOIN dag_run r "
            "ON ti.dag_id = r.dag_id AND ti.run_id = r.run_id "
            "WHERE r.dag_id = 'setup_teardown' AND date(r.logical_date) = ?",
            (date,),
        ).fetchall()
        [run_state] = db.execute(
            "SELECT state FROM dag_run WHERE dag_id = 'setup_teardown' AND date(logical_date) = ?", (date,)
        ).fetchone()
    ran: dict[str, tuple[str, Any, Any]] = {
        task_id: (state, datetime.fromisoformat(start), datetime.fromisoformat(end))
        for task_id, state, start, end in rows
    }
    ran["run"] = (run_state, None, None)
    return ran


@pytest.mark.slow
def test_setup_teardown_runs_the_teardown_after_a_failed_task(airflow_home: Path):
    """The shipped setup/teardown example triggered with {"fail_work": true}: work fails (exit 1),
    cleanup (the teardown of create) still runs and succeeds after it, and the run fails because
    work did."""
    proc = run_dags_test(
        airflow_home, REPO / "generated_dags", "setup_teardown", "2024-04-02", conf={"fail_work": True}
    )
    assert dagrun_state(proc.stdout) == "failed", proc.stdout[-3000:] + proc.stderr[-3000:]
    ran = setup_teardown_run(airflow_home, "2024-04-02")
    assert {t: state for t, (state, _, _) in ran.items()} == {
        "create": "success",
        "work": "failed",
        "cleanup": "success",
        "run": "failed",
    }
    assert ran["create"][2] <= ran["work"][1]
    assert ran["work"][2] <= ran["cleanup"][1], "the teardown started before the failed task ended"
    assert "failing on purpose: fail_work is on" in proc.stdout
    assert "dropping scratch table" in proc.stdout


@pytest.mark.slow
def test_setup_teardown_succeeds_with_the_default_params(airflow_home: Path):
    """Without conf (what the scheduler runs daily), fail_work is false: every task succeeds."""
    proc = run_dags_test(airflow_home, REPO / "generated_dags", "setup_teardown", "2024-04-03")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    ran = setup_teardown_run(airflow_home, "2024-04-03")
    assert {t: state for t, (state, _, _) in ran.items()} == {
        "create": "success",
        "work": "success",
        "cleanup": "success",
        "run": "success",
    }
    assert ran["work"][2] <= ran["cleanup"][1]
    assert "working on scratch table" in proc.stdout
    assert "failing on purpose" not in proc.stdout


def test_branching_runs_the_chosen_path_skips_the_other_and_joins(airflow_home: Path):
    """The shipped branching example on a day that is not the 1st: choose_path returns
    `incremental`, Airflow skips `full_load`, and the join (none_failed_min_one_success) runs."""
    import sqlite3

    proc = run_dags_test(airflow_home, REPO / "generated_dags", "branching", "2024-04-02")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'branching'").fetchall()
    assert dict(rows) == {"choose": "success", "incremental": "success", "full_load": "skipped", "publish": "success"}
    assert "loading the new rows" in proc.stdout
    assert "loading everything" not in proc.stdout


@pytest.mark.slow
def test_mapped_tasks_run_one_instance_per_value(airflow_home: Path):
    """The shipped mapping example: load_region is mapped over list_regions' result (3 items, known
    at run time only), so Airflow runs its map indexes 0, 1, 2, each with one item; greet_regions
    over a literal list of 3 commands, each instance named by map_index_template; the tasks around
    them are unmapped (map index -1). All from the metadata DB."""
    import json
    import sqlite3

    proc = run_dags_test(airflow_home, REPO / "generated_dags", "mapped_tasks", "2024-04-02")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, map_index, state, rendered_map_index FROM task_instance WHERE dag_id = 'mapped_tasks'"
        ).fetchall()
        xcoms = db.execute(
            "SELECT task_id, map_index, value FROM xcom WHERE dag_id = 'mapped_tasks' AND key = 'return_value'"
        ).fetchall()
    ran = {(task_id, i): (state, name) for task_id, i, state, name in rows}
    assert sorted(ran) == [
        ("greet_regions", 0),
        ("greet_regions", 1),
        ("greet_regions", 2),
        ("list_regions", -1),
        ("load_region", 0),
        ("load_region", 1),
        ("load_region", 2),
        ("report", -1),
    ]
    assert {state for state, _ in ran.values()} == {"success"}
    assert [ran[("greet_regions", i)][1] for i in range(3)] == [
        f'echo "$GREETING {r}"' for r in ("north", "south", "east")
    ]
    results = {(task_id, i): json.loads(value) for task_id, i, value in xcoms}
    assert results[("list_regions", -1)] == ["north", "south", "east"]
    # each map index of load_region got one item of the upstream result, in order
    assert [results[("load_region", i)] for i in range(3)] == ["north", "south", "east"]
    for region in ("north", "south", "east"):
        assert f"hello {region}" in proc.stdout  # the partial env reached every map index
        assert f"loading partition {region}" in proc.stdout


@pytest.mark.slow
def test_taskflow_values_reach_the_downstream_tasks(airflow_home: Path):
    """The shipped TaskFlow example: `extract` pushes each key of its dict (multiple_outputs),
    `summarize` gets two of them as arguments, and the bash task reads summarize's result from
    its environment; every value is in the metadata DB's XCom table, as Airflow moved it."""
    import json
    import sqlite3

    proc = run_dags_test(airflow_home, REPO / "generated_dags", "taskflow_xcom", "2024-04-02")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute("SELECT task_id, key, value FROM xcom WHERE dag_id = 'taskflow_xcom'").fetchall()
    xcoms = {(task_id, key): json.loads(value) for task_id, key, value in rows}
    assert xcoms[("extract", "orders")] == [20, 40, 5]  # the 2nd: day * 10, day * 20, 5
    assert xcoms[("extract", "source")] == "shop"
    assert xcoms[("summarize", "return_value")] == "shop: 3 orders, 65 EUR"
    assert xcoms[("report", "return_value")] == "report: shop: 3 orders, 65 EUR"  # bash's last line
    assert "report: shop: 3 orders, 65 EUR" in proc.stdout
