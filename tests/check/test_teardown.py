"""Setup and teardown tasks: each rule at its line:col, and the model a valid spec builds."""

from __future__ import annotations

from pathlib import Path

from dagfactory.check.graph import build_graph
from dagfactory.check.project import check_project
from dagfactory.check.spec import check_document
from dagfactory.check.teardown import teardown_edges
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.discover import discover
from dagfactory.model import model_of
from tests.check.spec_body import document

ROOT = Path(__file__).resolve().parents[1] / "fixtures"


def check(body: str) -> list[Diagnostic]:
    doc = document(body)
    found = check_document(doc)
    if not any(d.code < "DF200" for d in found):
        found += build_graph(doc)[1]
    return found


def where(found: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return sorted((d.code, d.line, d.column) for d in found)


BASE = """tasks:
  create: {operator: empty, setup: true}
  work: {operator: empty}
  cleanup:
    operator: empty
    teardown: {setups: [create]}
"""


def test_a_valid_setup_teardown_spec_has_no_diagnostics():
    assert check(BASE + "edges:\n  - create >> work >> cleanup\n") == []


def test_a_setup_without_teardown_and_a_teardown_without_edges_are_valid():
    body = "tasks:\n  a: {operator: empty, setup: true}\n  b: {operator: empty}\nedges:\n  - a >> b\n"
    assert check(body) == []
    assert check(BASE) == []  # as_teardown(setups=) itself makes create upstream of cleanup


def test_a_setup_must_be_marked_setup_true():
    found = check(BASE.replace("{operator: empty, setup: true}", "{operator: empty}"))
    assert where(found) == [("DF307", 11, 25)]
    assert found[0].hint == "add `setup: true` to task 'create'"


def test_an_unknown_setup_gets_a_did_you_mean():
    found = check(BASE.replace("[create]", "[craete]"))
    assert where(found) == [("DF302", 11, 25)]
    assert found[0].hint == "did you mean 'create'?"


def test_a_teardown_without_setups_is_refused_by_the_schema():
    assert [d.code for d in check(BASE.replace("[create]", "[]"))] == ["DF106"]
    assert [d.code for d in check(BASE.replace("{setups: [create]}", "{}"))] == ["DF102"]


def test_setup_true_is_a_boolean():
    assert [d.code for d in check(BASE.replace("setup: true", "setup: yes please"))] == ["DF103"]


def test_a_task_cannot_be_setup_and_teardown():
    found = check(BASE.replace("operator: empty\n    teardown", "operator: empty\n    setup: true\n    teardown"))
    assert where(found) == [("DF307", 11, 5)]
    assert "both a setup and a teardown" in found[0].message


def test_a_teardown_named_as_a_setup_is_refused():
    body = BASE + "  later:\n    operator: empty\n    teardown: {setups: [cleanup]}\n"
    found = check(body)
    assert where(found) == [("DF307", 14, 25)]
    assert "'cleanup', a teardown, as its setup" in found[0].message


def test_a_teardown_may_not_set_its_own_trigger_rule():
    found = check(BASE.replace("teardown: {", "trigger_rule: all_done\n    teardown: {"))
    assert where(found) == [("DF307", 11, 5)]
    assert "all_done_setup_success" in found[0].message


def test_a_setup_downstream_of_its_teardown_is_a_cycle():
    found = check(BASE + "edges:\n  - cleanup >> work >> create\n")
    assert where(found) == [("DF304", 11, 25)]
    assert "downstream of its teardown 'cleanup'" in found[0].message


def test_a_cycle_through_two_teardowns_is_found():
    body = """tasks:
  s1: {operator: empty, setup: true}
  s2: {operator: empty, setup: true}
  t1: {operator: empty, teardown: {setups: [s1]}}
  t2: {operator: empty, teardown: {setups: [s2]}}
edges:
  - t1 >> s2
  - t2 >> s1
"""
    assert where(check(body)) == [("DF304", 9, 45), ("DF304", 10, 45)]


def test_a_task_right_after_a_setup_must_use_all_success():
    found = check(
        BASE.replace("work: {operator: empty}", "work: {operator: empty, trigger_rule: all_done}")
        + "edges:\n  - create >> work\n"
    )
    assert where(found) == [("DF307", 8, 41)]
    # further down, or after a teardown, any trigger rule is fine (Airflow checks direct downstream only)
    body = BASE + "  after: {operator: empty, trigger_rule: all_done}\nedges:\n  - create >> work >> after\n"
    assert check(body) == []


def test_a_trigger_rule_from_default_args_is_found_where_it_is_set():
    body = "default_args: {trigger_rule: one_success}\n" + BASE + "edges:\n  - create >> work\n"
    found = check(body)
    assert where(found) == [("DF307", 6, 30)]
    assert "task 'work' runs right after setup 'create'" in found[0].message
    grouped = "groups:\n  g: {default_args: {trigger_rule: none_failed}}\n" + BASE.replace(
        "work: {operator: empty}", "work: {operator: empty, group: g}"
    )
    found = check(grouped + "edges:\n  - create >> g\n")
    assert where(found) == [("DF307", 7, 36)]


def test_teardown_edges_are_the_setups_of_each_teardown():
    data = {
        "tasks": {
            "a": {"setup": True},
            "b": {"setup": True},
            "t": {"teardown": {"setups": ["a", "b", "a", "missing"]}},
            "u": {"teardown": {"setups": ["b"]}},
        }
    }
    assert teardown_edges(data) == [("a", "t"), ("b", "t"), ("b", "u")]


def test_the_model_carries_setups_and_teardowns():
    path = ROOT / "valid" / "teardown_groups.yaml"
    [result] = check_project(discover([path], ROOT / "valid", ROOT)).results
    assert result.diagnostics == []
    p = model_of(result)
    assert [t.task_id for t in p.tasks if t.setup] == ["create_table", "start_cluster", "warm_cache"]
    assert p.task("cleanup").teardown_setups == ("create_table", "start_cluster")
    assert p.task("cleanup").on_failure_fail_dagrun is True
    assert p.task("stop_cluster").teardown_setups == ("start_cluster",)
    assert p.task("stop_cluster").on_failure_fail_dagrun is None
    assert p.task("load").teardown_setups == ()
    assert not p.task("load").setup
    # setup/teardown are not operator arguments
    assert all(k not in ("setup", "teardown") for t in p.tasks for k, _ in t.args)
