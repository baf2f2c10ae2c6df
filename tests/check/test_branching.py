"""Branching: `branches:` on branch_python, each a direct downstream task, and the join warning."""

from __future__ import annotations

from dagfactory.check.branching import check_branches
from dagfactory.check.graph import build_graph
from dagfactory.check.spec import check_document
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import load_text
from dagfactory.load.files import scope_of
from dagfactory.model import build_pipeline
from tests.check.spec_body import HEAD, document

BRANCHY = """tasks:
  choose:
    operator: branch_python
    python_callable: pkg.mod:pick
    branches: [full, incremental]
  full: {operator: empty}
  incremental: {operator: empty}
  join: {operator: empty%s}
edges:
  - choose >> [full, incremental] >> join
"""


def check(body: str) -> list[Diagnostic]:
    doc = document(body)
    found = check_document(doc)
    if not any(d.code < "DF200" for d in found):
        graph, problems = build_graph(doc)
        found += problems + check_branches(doc, graph, complete=not problems)
    return found


def where(found: list[Diagnostic]) -> list[tuple[str, int, int, str]]:
    return sorted((d.code, d.line, d.column, d.severity) for d in found)


def test_a_join_with_a_rule_that_runs_after_a_skip_has_no_diagnostics():
    assert check(BRANCHY % ", trigger_rule: none_failed_min_one_success") == []
    assert check(BRANCHY % ", trigger_rule: all_done") == []


def test_a_join_with_the_default_trigger_rule_is_warned_about_at_the_task():
    (found,) = check(BRANCHY % "")
    assert (found.code, found.line, found.column, found.severity) == ("DF306", 13, 3, "warning")
    assert "'full', 'incremental'" in found.message
    assert "all_success" in found.message
    assert found.hint == "set `trigger_rule: none_failed_min_one_success` on 'join'"


def test_a_skipping_trigger_rule_written_on_the_task_is_warned_about_at_its_value():
    (found,) = check(BRANCHY % ", trigger_rule: none_skipped")
    assert (found.code, found.line, found.column) == ("DF306", 13, 41)


def test_a_teardown_where_branches_join_is_not_warned_about():
    """Airflow runs a teardown under all_done_setup_success (a skipped branch does not skip it),
    and a teardown may not set trigger_rule (DF307): DF306 with its hint would be wrong twice."""
    body = BRANCHY.replace("tasks:\n", "tasks:\n  create: {operator: empty, setup: true}\n")
    body = body.replace("join: {operator: empty%s}", "join: {operator: empty, teardown: {setups: [create]}}")
    assert check(body) == []
    assert check(body + "default_args: {trigger_rule: none_skipped}\n") == []
    plain = body.replace(", teardown: {setups: [create]}", "")  # the same join, no teardown: warned
    assert [d.code for d in check(plain)] == ["DF306"]


def test_the_rule_comes_from_group_then_dag_default_args():
    grouped = BRANCHY.replace("join: {operator: empty%s}", "join: {operator: empty, group: g}")
    ok = "groups:\n  g: {default_args: {trigger_rule: none_failed_min_one_success}}\n" + grouped
    assert check(ok) == []
    bad = "default_args: {trigger_rule: none_failed}\ngroups:\n  g: {default_args: {trigger_rule: all_success}}\n"
    assert [d.code for d in check(bad + grouped)] == ["DF306"]
    assert check("default_args: {trigger_rule: none_failed}\n" + BRANCHY % "") == []


def test_a_join_reached_through_other_tasks_is_warned_about_and_only_where_branches_meet():
    body = """tasks:
  choose: {operator: branch_python, python_callable: pkg.mod:pick, branches: [a, b]}
  a: {operator: empty}
  a2: {operator: empty}
  b: {operator: empty}
  join: {operator: empty}
  after: {operator: empty}
edges:
  - choose >> [a, b]
  - a >> a2 >> join
  - b >> join >> after
"""
    assert [(d.code, d.line) for d in check(body)] == [("DF306", 11)]


def test_a_branch_that_is_also_downstream_of_another_branch_is_a_join():
    body = """tasks:
  choose: {operator: branch_python, python_callable: pkg.mod:pick, branches: [work, done]}
  work: {operator: empty}
  done: {operator: empty}
edges:
  - choose >> [work, done]
  - work >> done
"""
    assert [(d.code, d.line, d.column) for d in check(body)] == [("DF306", 9, 3)]


def test_branches_of_a_single_path_do_not_join():
    body = """tasks:
  choose: {operator: branch_python, python_callable: pkg.mod:pick, branches: [a, b]}
  a: {operator: empty}
  b: {operator: empty}
  after_a: {operator: empty}
edges:
  - choose >> [a, b]
  - a >> after_a
"""
    assert check(body) == []


def test_a_branch_must_be_a_direct_downstream_task():
    body = BRANCHY.replace("[full, incremental]", "[full, join]", 1) % ", trigger_rule: none_failed_min_one_success"
    (found,) = check(body)
    assert (found.code, found.line, found.column, found.severity) == ("DF308", 10, 22, "error")
    assert found.hint is not None
    assert found.hint.startswith("add `choose >> join` to edges")


def test_a_branch_through_a_group_edge_is_direct():
    body = """groups:
  paths: {}
tasks:
  choose: {operator: branch_python, python_callable: pkg.mod:pick, branches: [a, b]}
  a: {operator: empty, group: paths}
  b: {operator: empty, group: paths}
edges:
  - choose >> paths
"""
    assert check(body) == []


def test_an_unknown_branch_gets_a_did_you_mean():
    body = BRANCHY.replace("[full, incremental]", "[full, incremental, ful]", 1) % ", trigger_rule: all_done"
    (found,) = check(body)
    assert (found.code, found.line, found.column) == ("DF302", 10, 35)
    assert found.hint == "did you mean 'full'?"


def test_branches_must_be_a_non_empty_list_of_unique_ids():
    assert [d.code for d in check(BRANCHY.replace("[full, incremental]", "[]", 1) % "")] == ["DF106"]
    assert [d.code for d in check(BRANCHY.replace("[full, incremental]", "[full, full]", 1) % "")] == ["DF106"]
    assert [d.code for d in check(BRANCHY.replace("[full, incremental]", "full", 1) % "")] == ["DF103"]


def test_short_circuit_refuses_branches_with_a_hint():
    body = """tasks:
  gate: {operator: short_circuit, python_callable: pkg.mod:ok, branches: [a]}
  a: {operator: empty}
edges:
  - gate >> a
"""
    (found,) = check(body)
    assert (found.code, found.line) == ("DF101", 7)
    assert found.hint is not None
    assert "branch_python" in found.hint
    assert "skips" in found.hint


def test_when_edges_have_errors_only_unknown_branches_are_reported():
    body = (BRANCHY % "").replace("choose >> [full, incremental] >> join", "choose >> [full, incremntal] >> join")
    body = body.replace("[full, incremental]", "[full, incremental, nope]", 1)
    assert [(d.code, d.line) for d in check(body)] == [("DF302", 15), ("DF302", 10)]


def test_a_branch_python_without_branches_is_not_checked():
    assert check(BRANCHY.replace("    branches: [full, incremental]\n", "") % "") == []


def test_the_model_keeps_branches_out_of_the_operator_arguments():
    doc, _ = load_text(HEAD + BRANCHY % "", "s.yaml")
    assert doc is not None
    graph, _ = build_graph(doc)
    pipeline = build_pipeline(doc.data, graph, "s.yaml", "s", scope_of(doc))
    choose = pipeline.task("choose")
    assert choose.branches == ("full", "incremental")
    assert "branches" not in dict(choose.args)
    assert pipeline.task("full").branches == ()
