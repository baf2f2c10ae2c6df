"""TaskFlow tasks and references to another task's result ({xcom: task_id, key: name}):
where a reference may stand, its shape, the task it names, and the edges it implies."""

from __future__ import annotations

import pytest

from dagfactory.check.branching import check_branches
from dagfactory.check.graph import build_graph
from dagfactory.check.references import Reference, all_references, find_references, reference_edges, well_formed
from dagfactory.check.spec import check_document
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import load_text
from tests.check.spec_body import HEAD, document


def check(body: str) -> list[Diagnostic]:
    doc = document(body)
    found = check_document(doc)
    graph, problems = build_graph(doc)
    return found + problems + check_branches(doc, graph, complete=not problems)


def codes(found: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return sorted((d.code, d.line, d.column) for d in found)


FLOW = """tasks:
  extract:
    task: python
    callable: pkg.mod:extract
    multiple_outputs: true
    retries: 2
  transform:
    task: python
    callable: pkg.mod:transform
    args:
      rows: {xcom: extract, key: rows}
      nested: [1, {deep: {xcom: extract}}]
  report:
    operator: bash
    bash_command: {xcom: transform}
    env: {N: {xcom: transform, key: n}}
"""


def test_a_taskflow_pipeline_with_references_is_valid_and_its_references_are_edges():
    assert check(FLOW) == []
    doc, _ = load_text(HEAD + FLOW, "s.yaml")
    assert doc is not None
    assert all_references(doc.data) == [
        Reference("transform", ("tasks", "transform", "args", "rows"), "extract", "rows"),
        Reference("transform", ("tasks", "transform", "args", "nested", 1, "deep"), "extract", None),
        Reference("report", ("tasks", "report", "bash_command"), "transform", None),
        Reference("report", ("tasks", "report", "env", "N"), "transform", "n"),
    ]
    assert [edge for edge, _ in reference_edges(doc.data)] == [("extract", "transform"), ("transform", "report")]
    graph, problems = build_graph(doc)
    assert problems == []
    assert graph.edges == (("extract", "transform"), ("transform", "report"))


def test_find_references_goes_through_lists_and_mappings_but_not_into_a_reference():
    value = {"a": [{"xcom": "x", "key": {"xcom": "y"}}], "b": {"c": {"xcom": "z"}}}
    assert [p for p, _ in find_references(value, ("v",))] == [("v", "a", 0), ("v", "b", "c")]
    assert well_formed({"xcom": "x"})
    assert well_formed({"xcom": "x", "key": "k"})
    bad_ones = [{"xcom": 1}, {"xcom": "x", "key": ""}, {"xcom": "x", "key": None}, {"xcom": "a b"}]
    bad_ones.append({"xcom": "x", "y": 1})
    for bad in bad_ones:
        assert not well_formed(bad), bad


@pytest.mark.parametrize(
    ("body", "code", "marker"),
    [
        # an unknown task (with a did-you-mean), a task naming its own result: at the task id
        ("  t: {task: python, callable: p.m:f, args: {a: {xcom: extrct}}}\n", "DF302", "extrct"),
        ("  t: {task: python, callable: p.m:f, args: {a: {xcom: t}}}\n", "DF303", "t}"),
        # extra keys; an empty key; a task id that is not a string
        ("  t: {task: python, callable: p.m:f, args: {a: {xcom: extract, kee: x}}}\n", "DF309", "kee"),
        ("  t: {task: python, callable: p.m:f, args: {a: {xcom: extract, key: ''}}}\n", "DF309", "''"),
        ("  t: {task: python, callable: p.m:f, args: {a: [{xcom: [extract]}]}}\n", "DF309", "[extract]"),
        # the whole of args
        ("  t: {task: python, callable: p.m:f, args: {xcom: extract}}\n", "DF309", "{xcom"),
        # outside args on a TaskFlow task; outside a templated field of a catalog operator
        ("  t: {task: python, callable: p.m:f, params: {a: {xcom: extract}}}\n", "DF309", "{xcom"),
        ("  t: {operator: bash, bash_command: x, append_env: {xcom: extract}}\n", "DF103", "{xcom"),
        ("  t: {operator: bash, bash_command: x, params: {p: {xcom: extract}}}\n", "DF309", "{xcom"),
        # a task that never has a result
        ("  e: {operator: empty}\n  t: {operator: bash, bash_command: {xcom: e}}\n", "DF309", "e}}"),
        (
            "  e: {operator: bash, bash_command: x, do_xcom_push: false}\n"
            "  t: {operator: bash, bash_command: {xcom: e}}\n",
            "DF309",
            "e}}",
        ),
        # a misspelt reference in a templated string field is a misspelt key, not a type error
        ("  t: {operator: bash, bash_command: {xcmo: extract}}\n", "DF101", "xcmo"),
        ("  t: {operator: bash, bash_command: {a: 1}}\n", "DF103", "{a: 1}"),
    ],
)
def test_reference_problems_are_reported_at_the_reference(body: str, code: str, marker: str):
    spec = "tasks:\n  extract: {task: python, callable: p.m:extract}\n" + body
    lines = (HEAD + spec).splitlines()
    line = max(i for i, text in enumerate(lines, 1) if marker in text)
    found = check(spec)
    assert codes(found) == [(code, line, lines[line - 1].rindex(marker) + 1)], [str(d) for d in found]
    assert all(d.hint for d in found), [str(d) for d in found]


@pytest.mark.parametrize(
    "setting",
    [
        "params: {day: {xcom: extract}}\n",
        "params: {days: [1, {xcom: extract, key: n}]}\n",
        "params: {window: {start: {xcom: extract}}}\n",
        "macros: {latest: {xcom: extract}}\n",
    ],
    ids=["params", "params-list", "params-nested", "macros"],
)
def test_a_reference_outside_the_tasks_is_refused_at_the_reference(setting: str):
    """DAG-level settings (params, macros) are fixed values, made before any task runs: a reference
    there would reach Airflow as a plain mapping {"xcom": ...}."""
    spec = setting + "tasks:\n  extract: {task: python, callable: p.m:extract}\n"
    found = check(spec)
    line = 6
    column = (HEAD + spec).splitlines()[line - 1].index("{xcom") + 1
    assert codes(found) == [("DF309", line, column)], [str(d) for d in found]
    assert "outside the tasks" in found[0].message
    assert found[0].hint


def test_the_unknown_task_hint_names_the_closest_task():
    found = check(
        "tasks:\n  extract: {task: python, callable: p.m:f}\n  t: {operator: bash, bash_command: {xcom: extrat}}\n"
    )
    assert [d.hint for d in found] == ["did you mean 'extract'?"]


def test_a_cycle_through_references_is_reported_at_the_reference():
    body = """tasks:
  a: {task: python, callable: p.m:f, args: {x: {xcom: b}}}
  b: {operator: bash, bash_command: echo}
edges:
  - a >> b
"""
    found = check(body)
    assert codes(found) == [("DF304", 7, 55)]
    assert "a reference makes 'b' upstream of 'a'" in str(found[0].hint)


def test_a_reference_is_allowed_in_any_argument_of_a_class_path_operator_but_not_a_common_one():
    body = """tasks:
  a: {task: python, callable: p.m:f}
  b: {operator: my.pkg.MyOperator, anything: {deep: [{xcom: a, key: k}]}}
  c: {operator: my.pkg.MyOperator, doc_md: x, owner: {xcom: a}}
"""
    assert codes(check(body)) == [("DF103", 9, 54)]


def test_taskflow_tasks_check_their_flavour_arguments():
    found = check(
        """tasks:
  a: {task: pyton, callable: p.m:f}
  b: {task: python, calable: p.m:f}
  c: {task: external_python, callable: p.m:f}
  d: {task: bash, callable: p.m:f, multiple_outputs: true}
  e: {task: python, callable: 'not a path'}
  f: {task: python, operator: bash, callable: p.m:f}
"""
    )
    assert codes(found) == [
        ("DF101", 8, 21),  # calable
        ("DF101", 10, 36),  # multiple_outputs: bash returns a command
        ("DF101", 12, 21),  # operator and task
        ("DF102", 9, 3),  # external_python needs python
        ("DF104", 7, 13),  # pyton
        ("DF205", 11, 31),
    ], [str(d) for d in found]
    by_line = {d.line: d for d in found}
    assert by_line[7].hint == "did you mean 'python'?"
    assert "did you mean 'callable'" in str([d.hint for d in found if d.line == 8])
    assert "either `operator:`" in str(by_line[12].hint)


def test_a_taskflow_branch_names_its_branches_like_branch_python():
    body = """tasks:
  pick: {task: branch, callable: p.m:pick, branches: [a, c]}
  a: {operator: empty}
  b: {operator: empty}
  c: {operator: empty}
edges:
  - pick >> [a, b]
"""
    assert codes(check(body)) == [("DF308", 7, 58)]


def test_args_names_python_cannot_pass_are_refused_at_the_name():
    found = check("tasks:\n  t: {task: python, callable: p.m:f, args: {class: 1, __debug__: 2, match: 3}}\n")
    assert codes(found) == [("DF105", 7, 45), ("DF105", 7, 55)]


def test_the_secrets_lint_reads_taskflow_args_but_not_references():
    found = check(
        """tasks:
  get_pw: {task: python, callable: p.m:f}
  t:
    task: python
    callable: p.m:f
    args: {db_password: hunter2hunter2, nested: [{api_key: abcdef123456}], password: {xcom: get_pw}}
"""
    )
    assert [(d.code, d.severity, d.line, d.column) for d in found] == [
        ("DF209", "warning", 11, 12),
        ("DF209", "warning", 11, 51),
    ]


def test_a_class_path_argument_named_debug_is_refused_not_a_compiler_error():
    found = check("tasks:\n  t: {operator: my.pkg.Op, __debug__: 1}\n")
    assert codes(found) == [("DF105", 7, 28)]


def test_a_reference_to_a_group_says_it_names_a_group():
    body = """groups:
  stage: {}
tasks:
  a: {operator: bash, bash_command: x, group: stage}
  t: {task: python, callable: p.m:f, args: {x: {xcom: stage}}}
"""
    found = check(body)
    assert codes(found) == [("DF302", 10, 55)]
    assert "'stage' is a task group" in str(found[0].hint)
