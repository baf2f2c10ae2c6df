"""Dynamic task mapping in the outputs: `Op.partial(...).expand(...)` / `.expand_kwargs(...)`
for both targets, the docs' "mapped over", and the task graph's mapped shape."""

from __future__ import annotations

import ast
from pathlib import Path

from dagfactory.check.graph import build_graph
from dagfactory.check.spec import check_document
from dagfactory.emit.dag import render_pipeline
from dagfactory.emit.docs import render_doc
from dagfactory.emit.lineage import _pipeline_data, task_graph_dot, task_graph_mermaid
from dagfactory.load.document import load_file, load_text
from dagfactory.load.files import scope_of
from dagfactory.model import Pipeline, build_pipeline
from dagfactory.targets import AIRFLOW_2

from ..conftest import FIXTURES

SPEC = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
tasks:
  start: {operator: empty}
  greet:
    operator: bash
    env: {A: "1"}
    map_index_template: "{{ task.bash_command }}"
    max_active_tis_per_dagrun: 2
    expand:
      bash_command: [echo 1, echo 2]
      cwd: [/a, /b, /c]
  sets:
    operator: sql_to_s3
    sql_conn_id: db
    s3_bucket: b
    expand_kwargs:
      - {query: q.sql, s3_key: one, pd_kwargs: {index: false}}
      - {query: SELECT 2, s3_key: two}
  wait:
    operator: time_delta_sensor
    expand: {delta: [30s, 1h30m]}
edges:
  - start >> [greet, sets, wait]
"""


def pipeline(tmp_path: Path) -> Pipeline:
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    (tmp_path / "q.sql").write_text("SELECT 1\n", encoding="utf-8")
    doc, problems = load_file(spec, "s.yaml")
    assert doc is not None, problems
    doc.file_roots = (tmp_path,)
    graph, problems = build_graph(doc)
    assert problems == []
    return build_pipeline(doc.data, graph, "s.yaml", "s", scope_of(doc))


def test_a_mapped_task_is_partial_then_expand(tmp_path: Path):
    text = render_pipeline(pipeline(tmp_path))
    assert (
        """    greet = BashOperator.partial(
        task_id="greet",
        env={"A": "1"},
        map_index_template="{{ task.bash_command }}",
        max_active_tis_per_dagrun=2,
    ).expand(
        bash_command=["echo 1", "echo 2"],
        cwd=["/a", "/b", "/c"],
    )
"""
        in text
    )
    # durations become timedelta values, one per map index
    assert (
        """    wait = TimeDeltaSensor.partial(
        task_id="wait",
    ).expand(
        delta=[timedelta(seconds=30), timedelta(hours=1, minutes=30)],
    )
"""
        in text
    )
    assert "start >> [greet, sets, wait]" in text


def test_expand_kwargs_embeds_files_and_renames_old_arguments(tmp_path: Path):
    text = render_pipeline(pipeline(tmp_path))
    assert (
        """    sets = SqlToS3Operator.partial(
        task_id="sets",
        sql_conn_id="db",
        s3_bucket="b",
    ).expand_kwargs(
        [
            {"query": "SELECT 1\\n", "s3_key": "one", "df_kwargs": {"index": False}},
            {"query": "SELECT 2", "s3_key": "two"},
        ],
    )
"""
        in text
    )
    assert "q.sql" not in text.split("with DAG(")[1]  # the file's text, not its name


def test_both_targets_render_the_same_calls(tmp_path: Path):
    three = render_pipeline(pipeline(tmp_path))
    two = render_pipeline(pipeline(tmp_path), AIRFLOW_2)
    assert "from airflow.operators.bash import BashOperator" in two
    assert three.split("with DAG(")[1] == two.split("with DAG(")[1]  # only the imports differ


def test_docs_say_what_a_task_is_mapped_over(tmp_path: Path):
    text = render_doc(pipeline(tmp_path))
    assert "| `greet` | `BashOperator`, mapped over `bash_command` x `cwd` (2 x 3 values) | `start` |" in text
    assert "| `sets` | `SqlToS3Operator`, mapped over 2 argument sets | `start` |" in text
    assert "| `wait` | `TimeDeltaSensor`, mapped over `delta` (2 values) | `start` |" in text
    assert "| `start` | `EmptyOperator` | - |" in text


def test_the_task_graph_draws_mapped_tasks_double_edged(tmp_path: Path):
    p = pipeline(tmp_path)
    mermaid = task_graph_mermaid(p).splitlines()
    assert '    t0["start"]' in mermaid
    assert sum(line.startswith("    t") and '[["' in line for line in mermaid) == 3
    dot = task_graph_dot(p)
    assert '[label="greet", peripheries=2];' in dot
    assert dot.count("peripheries=2") == 3
    tasks = {t["task_id"]: t for t in _pipeline_data(p, "daily")["tasks"]}
    assert tasks["greet"]["mapped"] is True
    assert "mapped" not in tasks["start"]


def test_the_valid_fixture_compiles_to_mapped_calls_only():
    doc, problems = load_file(FIXTURES / "valid" / "mapped.yaml")
    assert doc is not None, problems
    graph, problems = build_graph(doc)
    assert problems == []
    text = render_pipeline(build_pipeline(doc.data, graph, "m.yaml", "m", scope_of(doc)))
    calls = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    mapped = sorted(c.func.attr for c in calls if c.func.attr in ("expand", "expand_kwargs"))
    assert mapped == ["expand"] * 6 + ["expand_kwargs"] * 2
    partial = [c for c in calls if c.func.attr == "partial"]
    assert len(partial) == 6  # the classic operators; the TaskFlow ones here have no `args`
    assert all(kw.arg != "bash_command" for c in partial for kw in c.keywords)
    assert "bash_command=commands.output," in text  # a classic operator's result
    assert "partition=partitions," in text  # a TaskFlow task's call is its result
    assert ")(load_partition).expand_kwargs(\n        sets,\n    )" in text


def test_an_unmapped_task_renders_as_before():
    doc, _ = load_text(SPEC.split("  greet:")[0], "s.yaml")
    assert doc is not None
    graph, _ = build_graph(doc)
    text = render_pipeline(build_pipeline(doc.data, graph, "s.yaml", "s", scope_of(doc)))
    assert ".partial(" not in text
    assert 'start = EmptyOperator(\n        task_id="start",\n    )' in text


REFERENCES = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
groups:
  g: {}
tasks:
  make: {operator: python, python_callable: pkg.mod:rows}
  items: {task: python, callable: pkg.mod:items, group: g}
  each:
    task: python
    callable: pkg.mod:load
    args: {table: t}
    retries: 2
    expand: {item: {xcom: items}, mode: [a, b]}
  sets:
    operator: bash
    expand_kwargs: {xcom: make}
"""


def test_mapping_over_results_renders_xcomargs_and_taskflow_partial():
    doc, problems = load_text(REFERENCES, "s.yaml")
    assert doc is not None, problems
    graph, problems = build_graph(doc)
    assert problems == []
    p = build_pipeline(doc.data, graph, "s.yaml", "s", scope_of(doc))
    text = render_pipeline(p)
    assert (
        """    each = (
        task(task_id="each", retries=2)(load)
        .partial(
            table="t",
        )
        .expand(
            item=items_task,
            mode=["a", "b"],
        )
    )
"""
        in text
    )
    assert (
        """    sets = BashOperator.partial(
        task_id="sets",
    ).expand_kwargs(
        make.output,
    )
"""
        in text
    )
    assert render_pipeline(p, AIRFLOW_2).split("with DAG(")[1] == text.split("with DAG(")[1]
    doc_text = render_doc(p)
    assert (
        "| `each` | `@task`, mapped over `item` x `mode` (the result of `g.items` x 2 values) | `g.items` (result) |"
        in doc_text
    )
    assert "| `sets` | `BashOperator`, mapped over the argument sets `make` returns | `make` (result) |" in doc_text


MAPPED_TASKFLOW = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
groups:
  g: {tooltip: t}
tasks:
  items: {task: python, callable: pkg.mod:items}
  short: {task: python, callable: pkg.mod:load, expand: {item: {xcom: items}}}
  a_rather_long_task_name_that_does_not_fit_on_one_line_with_its_decorator:
    task: python
    callable: pkg.module_with_a_long_name:a_function_with_a_long_name
    retries: 3
    expand: {item: {xcom: items}}
  partial_short: {task: python, callable: pkg.mod:load, args: {table: t}, expand: {item: [1, 2]}}
  partial_long_head_in_a_group:
    task: python
    callable: pkg.module_with_a_long_name:a_function_with_a_long_name
    group: g
    retries: 3
    execution_timeout: 1h
    args: {script: "line 1\\nline 2\\n", n: 1}
    expand_kwargs: {xcom: items}
  script_in_the_decorator:
    task: bash
    callable: pkg.mod:command
    doc_md: "# Title\\n\\nbody\\n"
    args: {n: 1}
    expand: {word: [a, b]}
"""


def test_mapped_taskflow_tasks_are_in_ruff_format_style(tmp_path: Path):
    """Short and long decorators, partial arguments or none, a multi-line script, inside a group:
    every layout is the one `ruff format` keeps (a chain of .partial and .expand after the
    decorator is written fluently, in parentheses)."""
    from tests.test_hardening_injection import assert_ruff_accepts

    doc, problems = load_text(MAPPED_TASKFLOW, "s.yaml")
    assert doc is not None, problems
    assert check_document(doc) == []  # a valid spec: what compile would render
    graph, problems = build_graph(doc)
    assert problems == []
    p = build_pipeline(doc.data, graph, "s.yaml", "s", scope_of(doc))
    texts = [render_pipeline(p), render_pipeline(p, AIRFLOW_2)]
    assert_ruff_accepts(texts, tmp_path / "ruff")
    assert 'short = task(task_id="short")(load).expand(\n' in texts[0]
    assert "        partial_long_head_in_a_group = (\n" in texts[0]
    for text in texts:
        compile(text, "s.py", "exec")
