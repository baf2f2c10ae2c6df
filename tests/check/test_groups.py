"""Task groups and labelled edges: each rule at its line:col, and the task graph Airflow builds."""

from __future__ import annotations

from dagfactory.check.graph import build_graph
from dagfactory.check.groups import MAX_GROUP_DEPTH
from dagfactory.check.spec import check_document
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import load_text
from tests.check.spec_body import HEAD, document


def check(body: str) -> list[Diagnostic]:
    doc = document(body)
    found = check_document(doc)
    if not any(d.code < "DF200" for d in found):
        found += build_graph(doc)[1]
    return found


def where(found: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return sorted((d.code, d.line, d.column) for d in found)


def graph(body: str):
    doc, _ = load_text(HEAD + body, "s.yaml")
    assert doc is not None
    assert [d for d in check_document(doc) if d.is_error] == []
    g, problems = build_graph(doc)
    assert problems == []
    return g


GROUPED = """groups:
  extract: {tooltip: Pull}
  clean: {group: extract}
tasks:
  start: {operator: empty}
  pull: {operator: empty, group: extract}
  scrub: {operator: empty, group: clean}
  tidy: {operator: empty, group: clean}
  load: {operator: empty}
"""


def test_a_valid_grouped_spec_has_no_diagnostics():
    assert check(GROUPED + "edges:\n  - start >> extract >> load\n") == []


def test_group_endpoints_expand_to_roots_and_leaves_as_airflow_does():
    g = graph(GROUPED + "edges:\n  - pull >> clean\n  - start >> extract >> load\n")
    assert set(g.edges) == {
        ("pull", "scrub"),
        ("pull", "tidy"),
        ("start", "pull"),  # the group's only root, given the edge above
        ("scrub", "load"),
        ("tidy", "load"),
    }
    assert g.groups == {"extract", "clean"}


def test_expansion_follows_line_order_like_airflow():
    # `extract >> load` runs before `pull >> clean`: then every task of extract is a leaf
    g = graph(GROUPED + "edges:\n  - extract >> load\n  - pull >> clean\n")
    assert ("pull", "load") in g.edges


def test_labelled_edge_labels_every_expanded_edge():
    g = graph(GROUPED + "edges:\n  - from: start\n    to: clean\n    label: rows found\n")
    assert g.edges == (("start", "scrub"), ("start", "tidy"))
    assert g.label("start", "scrub") == g.label("start", "tidy") == "rows found"
    assert g.label("scrub", "tidy") is None


def test_group_id_equal_to_a_task_id():
    found = check("groups:\n  a: {}\ntasks:\n  a: {operator: empty, group: a}\n")
    assert ("DF305", 7, 3) in where(found)


def test_unknown_group_of_a_task_has_did_you_mean():
    found = check(
        "groups:\n  extract: {}\ntasks:\n"
        "  a: {operator: empty, group: extrac}\n  b: {operator: empty, group: extract}\n"
    )
    (d,) = found
    assert (d.code, d.line, d.column) == ("DF302", 9, 31)
    assert d.hint == "did you mean 'extract'?"


def test_unknown_parent_group():
    found = check("groups:\n  a: {group: zz}\ntasks:\n  t: {operator: empty, group: a}\n")
    assert where(found) == [("DF302", 7, 14)]


def test_parent_loop_is_reported_at_each_groups_parent():
    found = check("groups:\n  a: {group: b}\n  b: {group: a}\ntasks:\n  t: {operator: empty, group: a}\n")
    assert where(found) == [("DF305", 7, 14), ("DF305", 8, 14)]
    assert "nested in itself: a in b in a" in found[0].message


def test_empty_group():
    found = check("groups:\n  a: {}\n  b: {group: a}\ntasks:\n  t: {operator: empty}\n")
    assert where(found) == [("DF305", 7, 3), ("DF305", 8, 3)]
    assert "has no tasks" in found[0].message


def test_unprefixed_tasks_colliding_in_airflow():
    body = (
        "groups:\n  a: {prefix_group_id: false}\n  b: {}\ntasks:\n"
        "  x.t: {operator: empty}\n  t: {operator: empty, group: b}\n  u.t: {operator: empty, group: a}\n"
        "  a.w: {operator: empty}\n"
    )
    assert check(body) == []
    body = "groups:\n  b: {}\ntasks:\n  b.t: {operator: empty}\n  t: {operator: empty, group: b}\n"
    (d,) = check(body)
    assert (d.code, d.line, d.column) == ("DF305", 10, 3)
    assert d.message == "task 't' has the id 'b.t' in Airflow, as task 'b.t' does"


def test_prefixed_id_longer_than_250():
    long = "g" * 200
    body = f"groups:\n  {long}: {{}}\ntasks:\n  {'t' * 60}: {{operator: empty, group: {long}}}\n"
    (d,) = check(body)
    assert (d.code, d.line, d.column) == ("DF305", 9, 3)
    assert "261 characters" in d.message


def test_group_id_may_not_contain_a_dot():
    found = check("groups:\n  a.b: {}\ntasks:\n  t: {operator: empty}\n")
    assert where(found) == [("DF105", 7, 3)]
    assert "group id" in found[0].message


def test_edge_from_a_task_to_its_own_group():
    found = check(GROUPED + "edges:\n  - pull >> extract\n")
    (d,) = found
    assert (d.code, d.line, d.column) == ("DF303", 16, 13)
    assert d.message == "task 'pull' is inside group 'extract': an edge between them joins the group to itself"


def test_edge_between_a_group_and_its_subgroup():
    (d,) = check(GROUPED + "edges:\n  - from: clean\n    to: extract\n    label: x\n")
    assert (d.code, d.line, d.column) == ("DF303", 17, 9)


def test_cycle_through_groups():
    found = check(GROUPED + "edges:\n  - start >> extract\n  - clean >> start\n")
    assert set(where(found)) == {("DF304", 17, 14)}  # scrub and tidy close it: one report per place


def test_unknown_group_in_edge_with_did_you_mean():
    (d,) = check(GROUPED + "edges:\n  - start >> extrac\n")
    assert (d.code, d.line, d.column) == ("DF302", 16, 14)
    assert d.message == "unknown task or group 'extrac' in edge"
    assert d.hint == "did you mean 'extract'?"


def test_unknown_id_in_an_edge_mapping_points_at_the_value():
    (d,) = check(GROUPED + "edges:\n  - from: start\n    to: lod\n    label: x\n")
    assert (d.code, d.line, d.column) == ("DF302", 17, 9)
    assert d.hint == "did you mean 'load'?"


def test_edge_mapping_shape_errors():
    base = "tasks:\n  a: {operator: empty}\n  b: {operator: empty}\nedges:\n"
    assert where(check(base + "  - {from: a, to: b, label: x, colour: red}\n")) == [("DF101", 10, 32)]
    assert where(check(base + "  - {from: a, label: x}\n")) == [("DF102", 10, 5)]
    assert where(check(base + "  - {from: a, to: b, label: ''}\n")) == [("DF106", 10, 29)]
    (d,) = check(base + "  - {from: a, to: b, lable: x}\n")
    assert d.code == "DF101"
    assert d.hint == "did you mean 'label'?"


def test_misspelt_group_key_has_did_you_mean():
    (d,) = check("groups:\n  g: {tooltp: x}\ntasks:\n  t: {operator: empty, group: g}\n")
    assert (d.code, d.line, d.column) == ("DF101", 7, 7)
    assert d.hint == "did you mean 'tooltip'?"


def test_group_default_args_are_checked_like_the_dags():
    body = (
        "groups:\n  g:\n    default_args: {retries: x, retry_dlay: 5m, execution_timeout: 5 parsecs}\n"
        "tasks:\n  t: {operator: empty, group: g}\n"
    )
    found = check(body)
    assert ("DF103", 8, 29) in where(found)
    assert ("DF101", 8, 32) in where(found)
    assert next(d for d in found if d.code == "DF101").hint == "did you mean 'retry_delay'?"
    assert ("DF105", 8, 67) in where(found)  # not a duration


def test_secrets_lint_sees_tooltips_labels_and_group_default_args():
    body = (
        "groups:\n  g:\n    tooltip: postgres://u:hunter2@db/x\n"
        "    default_args: {email: ops@x.io, on_failure_callback: a.b:c}\n"
        "tasks:\n  t: {operator: empty, group: g}\n  u: {operator: empty}\n"
        "edges:\n  - {from: t, to: u, label: 'token=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB'}\n"
    )
    found = [d for d in check(body) if d.code == "DF209"]
    assert [(d.line, d.column) for d in found] == [(8, 14), (14, 29)]


def _nested_groups(depth: int) -> str:
    groups = "".join(f"  g{i}: {{group: g{i - 1}}}\n" if i else "  g0: {}\n" for i in range(depth))
    return f"groups:\n{groups}tasks:\n  t: {{operator: empty, group: g{depth - 1}}}\n"


def test_groups_nest_at_most_ten_deep_reported_once_at_the_first_too_deep():
    """Each group is a nested `with` block, and Python refuses more than 20 of them: a spec
    validate accepted must compile, so the limit is checked (10, plenty for a readable DAG)."""
    assert check(_nested_groups(MAX_GROUP_DEPTH)) == []
    found = check(_nested_groups(MAX_GROUP_DEPTH + 5))
    assert where(found) == [("DF305", 6 + MAX_GROUP_DEPTH + 1, 16)]  # `  g10: {group: g9}`
    assert "nested 11 deep, more than 10" in found[0].message


def test_a_loop_longer_than_the_depth_limit_is_still_a_loop():
    n = 3 * MAX_GROUP_DEPTH
    groups = "".join(f"  g{i}: {{group: g{(i - 1) % n}}}\n" for i in range(n))
    found = check(f"groups:\n{groups}tasks:\n  t: {{operator: empty, group: g0}}\n")
    assert [d.code for d in found] == ["DF305"] * n
    assert all(f"nested in itself: through {n} groups" in d.message for d in found)
