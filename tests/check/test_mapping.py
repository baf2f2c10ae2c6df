"""Dynamic task mapping, checked: `expand`, `expand_kwargs`, map_index_template, and what the
rest of the checks (types, files, targets, secrets) make of mapped values."""

from __future__ import annotations

from pathlib import Path

from dagfactory.check import check_project
from dagfactory.check.spec import check_document
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.discover import discover
from dagfactory.load.document import load_text
from dagfactory.targets import AIRFLOW_2
from tests.check.spec_body import HEAD, document


def check(body: str, **kwargs: object) -> list[Diagnostic]:
    doc = document(body)
    return check_document(doc, **kwargs)  # type: ignore[arg-type]


def where(found: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return sorted((d.code, d.line, d.column) for d in found)


def test_a_mapped_task_with_partial_arguments_is_valid():
    body = """tasks:
  a:
    operator: bash
    env: {A: "1"}
    retries: 2
    map_index_template: "{{ task.bash_command }}"
    max_active_tis_per_dagrun: 2
    expand:
      bash_command: [echo 1, echo 2]
      cwd: [/tmp, /]
  b:
    operator: bash
    expand_kwargs: [{bash_command: echo 1}, {bash_command: echo 2, env: {X: y}}]
  c:
    operator: time_delta_sensor
    expand: {delta: [30s, PT1M]}
  d:
    operator: airflow.providers.standard.operators.python.PythonOperator
    python_callable: pkg.mod:f
    expand: {op_args: [[1], [2]], on_execute_callback: ["pkg.mod:g"]}
"""
    assert check(body) == []


def test_a_required_argument_may_be_mapped_but_must_be_given_somewhere():
    assert check("tasks:\n  a: {operator: bash, expand: {bash_command: [x]}}\n") == []
    (found,) = check("tasks:\n  a: {operator: bash, expand: {env: [{}]}}\n")
    assert (found.code, found.line, found.column) == ("DF102", 7, 3)
    assert found.message == "task 'a' is missing required argument 'bash_command'"
    assert found.hint is not None
    assert "map it under `expand:`" in found.hint
    found = check("tasks:\n  a: {operator: bash, expand_kwargs: [{bash_command: x}, {env: {}}]}\n")
    assert [(d.code, d.message) for d in found] == [
        ("DF102", "task 'a': expand_kwargs item 1 lacks required argument 'bash_command'")
    ]
    # given once as a plain argument, it is every item's
    assert check("tasks:\n  a: {operator: bash, bash_command: x, expand_kwargs: [{env: {}}]}\n") == []
    # a task that is not mapped still needs it, with the schema's message and the argument's description
    (found,) = check("tasks:\n  a: {operator: bash}\n")
    assert (found.code, found.message) == ("DF102", "task 'a' is missing required argument 'bash_command'")
    assert found.hint is not None
    assert found.hint.startswith("The command")


def test_arguments_airflow_cannot_map_are_refused_with_a_hint():
    body = """tasks:
  a:
    operator: bash
    bash_command: x
    expand:
      task_id: [a]
      pool: [p]
      map_index_template: [x]
      group: [g]
      outlets: [x]
      bash_command: [y]
      bash_comand: [y]
"""
    found = {d.message: d for d in check(body)}
    assert {d.code for d in found.values()} == {"DF311"}
    assert [d.line for d in sorted(found.values(), key=lambda d: d.line)] == [11, 12, 13, 14, 15, 16, 17]
    pool = found["task 'a': `pool` cannot be mapped: Airflow sets it once for the whole mapped task"]
    assert pool.hint == "set `pool:` as a plain argument of the task: it applies to every map index"
    assert "map_index_template" in found["task 'a': `task_id` cannot be mapped"].hint  # type: ignore[operator]
    assert found["task 'a': operator 'bash' has no argument 'bash_comand' to map"].hint == (
        "did you mean 'bash_command'?"
    )
    both = found["task 'a': `bash_command` is given both mapped (expand) and as a plain argument"]
    assert both.hint is not None
    assert both.hint.startswith("keep one")
    assert "task 'a': `group` is a key of the task, not an operator argument to map" in found
    assert "task 'a': `outlets` cannot be mapped: the compiler sets it" in found


def test_class_path_operators_map_free_arguments_but_not_the_common_ones():
    body = """tasks:
  a:
    operator: pkg.ops.MyOperator
    expand: {anything: [1, 2], retries: [1], dag: [x], class: [1]}
    expand_kwargs: [{task_id: x, other: 1}]
"""
    found = sorted(check(body), key=lambda d: (d.line, d.column))
    assert [(d.code, d.line, d.column, d.message) for d in found] == [
        ("DF311", 9, 32, "task 'a': `retries` cannot be mapped: Airflow sets it once for the whole mapped task"),
        ("DF311", 9, 46, "task 'a': `dag` cannot be mapped: the compiler sets it"),
        ("DF105", 9, 56, "task 'a': argument name 'class' cannot be passed in Python"),
        ("DF311", 10, 5, "task 'a' has both `expand` and `expand_kwargs`"),
        ("DF311", 10, 22, "task 'a': `task_id` cannot be mapped"),
    ]


def test_nothing_to_map_over_is_df312():
    found = check("tasks:\n  a: {operator: bash, expand: {bash_command: []}}\n")
    assert [(d.code, d.line, d.column) for d in found] == [("DF312", 7, 46)]
    assert "Airflow would create no map index and skip the task" in found[0].message
    assert [d.code for d in check("tasks:\n  a: {operator: bash, bash_command: x, expand: {}}\n")] == ["DF312"]
    assert [d.code for d in check("tasks:\n  a: {operator: bash, bash_command: x, expand_kwargs: []}\n")] == ["DF312"]
    assert [d.code for d in check("tasks:\n  a: {operator: a.b.C, expand: {x: []}}\n")] == ["DF312"]


def test_mapped_values_are_typed_like_the_argument():
    found = check("tasks:\n  a: {operator: time_delta_sensor, expand: {delta: [30s, 1000000000d]}}\n")
    assert [(d.code, d.line) for d in found] == [("DF203", 7)]
    found = check("tasks:\n  a: {operator: python, expand: {python_callable: [pkg.mod:f, nope]}}\n")
    assert [d.code for d in found] == ["DF205"]
    found = check("tasks:\n  a: {operator: bash, expand: {bash_command: [echo, 3]}}\n")
    assert [d.code for d in found] == ["DF103"]
    found = check("tasks:\n  a: {operator: bash, expand_kwargs: [{bash_command: [x]}]}\n")
    assert [d.code for d in found] == ["DF103"]
    found = check("tasks:\n  a: {operator: python, python_callable: p.m:f, expand: {op_args: [x]}}\n")
    assert [d.code for d in found] == ["DF103"]  # each value of op_args is a list


def test_map_index_template_needs_a_mapped_task():
    (found,) = check("tasks:\n  a: {operator: bash, bash_command: x, map_index_template: y}\n")
    assert (found.code, found.line, found.column) == ("DF311", 7, 40)
    assert found.hint == "map the task with `expand:` or `expand_kwargs:`, or remove map_index_template"
    (found,) = check("tasks:\n  a: {operator: bash, bash_command: x, max_active_tis_per_dagrun: 0}\n")
    assert found.code == "DF106"  # at least 1; allowed on any task


def test_airflow_2_target_checks_mapped_arguments_it_lacks():
    body = "tasks:\n  a: {operator: trigger_dagrun, trigger_dag_id: x, expand: {note: [a, b]}}\n"
    assert check(body) == []
    (found,) = check(body, target=AIRFLOW_2)
    assert (found.code, found.line) == ("DF101", 7)
    assert found.message == "task 'a': operator 'trigger_dagrun' has no argument 'note' on Airflow 2"


def test_secrets_and_files_in_mapped_values(tmp_path: Path):
    """A mapped SQL value may name a .sql file (DF208 when it cannot be read; its text is scanned
    for secrets) and is scanned for SQL's forms; other mapped values and argument sets are scanned
    like plain ones."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "q.sql").write_text("ALTER USER x PASSWORD 'hunter2';\n")
    (specs / "s.yaml").write_text(
        HEAD
        + """tasks:
  a:
    operator: sql
    conn_id: db
    expand:
      sql: [q.sql, missing.sql, "CREATE USER u IDENTIFIED BY 'pw1'"]
  b:
    operator: bash
    expand_kwargs:
      - {bash_command: "curl https://u:pw@host/x"}
  c:
    operator: a.b.C
    expand: {db_password: [hunter2]}
"""
    )
    (result,) = check_project(discover([specs / "s.yaml"], tmp_path, tmp_path)).results
    found = sorted((d.code, d.line, d.column, d.message) for d in result.diagnostics)
    assert [f[:3] for f in found] == [
        ("DF208", 11, 20),
        ("DF209", 11, 13),
        ("DF209", 11, 33),
        ("DF209", 15, 24),
        ("DF209", 18, 28),
    ]
    assert found[0][3].startswith("file 'missing.sql' not found")
    assert [f[3] for f in found[1:]] == [
        "q.sql line 1 looks like a literal PASSWORD in SQL",
        "this value looks like a password in SQL (IDENTIFIED BY)",
        "this value looks like a URI with a password",
        "an item of 'db_password' looks like a secret",
    ]


REFERENCES = """tasks:
  make: {operator: python, python_callable: pkg.mod:f}
  rows: {task: python, callable: pkg.mod:g, multiple_outputs: true}
  each:
    operator: bash
    expand: {bash_command: %s}
"""


def test_mapping_over_another_tasks_result():
    assert check(REFERENCES % "{xcom: make}") == []
    assert check(REFERENCES % "{xcom: rows}") == []
    (found,) = check(REFERENCES % "{xcom: rows, key: lines}")
    assert (found.code, found.line, found.column) == ("DF312", 11, 41)
    assert (
        found.message
        == "task 'each' is mapped over key 'lines' of 'rows''s result: Airflow maps only over a task's return value"
    )
    assert found.hint == "map over {xcom: rows}: make 'rows' return the list itself"
    (found,) = check(REFERENCES % "{xcom: mak}")
    assert (found.code, found.hint) == ("DF302", "did you mean 'make'?")
    (found,) = check(REFERENCES % "{xcom: each}")
    assert found.code == "DF303"


def test_a_reference_is_mapped_over_whole_not_inside_a_list():
    (found,) = check(REFERENCES % "[{xcom: make}, echo]")
    assert (found.code, found.line, found.column) == ("DF309", 11, 29)
    assert found.hint is not None
    assert found.hint.startswith("map over a task's result as a whole")
    (found,) = check(REFERENCES.replace("expand: {bash_command: %s}", "expand_kwargs: [{bash_command: {xcom: make}}]"))
    assert found.code == "DF309"
    (found,) = check(REFERENCES.replace("expand: {bash_command: %s}", "bash_command: x\n    expand: {xcom: make}"))
    assert (found.code, found.line) == ("DF309", 12)
    assert check(REFERENCES.replace("expand: {bash_command: %s}", "expand_kwargs: {xcom: make}")) == []
    (found,) = check(REFERENCES.replace("expand: {bash_command: %s}", "expand_kwargs: {xcom: make, key: k}"))
    assert found.code == "DF312"


def test_taskflow_tasks_map_their_functions_arguments():
    body = """tasks:
  make: {task: python, callable: pkg.mod:f}
  each:
    task: python
    callable: pkg.mod:g
    args: {fixed: 1, both: 2}
    retries: 2
    expand: {item: {xcom: make}, other: [1, 2], retries: [1], both: [3], class: [1]}
"""
    found = sorted((d.code, d.message.split(": ", 1)[1]) for d in check(body))
    assert found == [
        ("DF105", "argument name 'class' cannot be passed in Python"),
        ("DF311", "`both` is given both mapped (expand) and in `args`"),
    ]  # `retries` is a function argument here: the decorator's retries is a plain key
    sets = "tasks:\n  make: {task: python, callable: pkg.mod:f}\n  each: {task: python, callable: pkg.mod:g, %s}\n"
    assert check(sets % "expand_kwargs: {xcom: make}") == []
    assert check(sets % "args: {a: 1}, expand_kwargs: [{b: 1}, {b: 2, c: 3}]") == []
    assert [d.code for d in check(sets % "args: {a: 1}, expand_kwargs: [{a: 1}]")] == ["DF311"]


def test_references_make_edges_and_cycles_through_mapping_are_found():
    from dagfactory.check.graph import build_graph

    doc, _ = load_text(HEAD + REFERENCES % "{xcom: make}", "s.yaml")
    assert doc is not None
    graph, problems = build_graph(doc)
    assert problems == []
    assert ("make", "each") in graph.edges  # implied by the reference: no edge written
    doc, _ = load_text(HEAD + REFERENCES % "{xcom: make}" + "edges:\n  - each >> make\n", "s.yaml")
    assert doc is not None
    _, problems = build_graph(doc)
    assert [d.code for d in problems] == ["DF304"]
