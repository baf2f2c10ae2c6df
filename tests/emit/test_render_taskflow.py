"""Rendering TaskFlow tasks and references: the decorator applied to the function and called
with its args, references as XComArgs, tasks ordered so every referenced task is defined first,
imports per target, and the docs and task graph."""

from __future__ import annotations

from pathlib import Path

from dagfactory.check.graph import build_graph
from dagfactory.emit import compile_specs
from dagfactory.emit.dag import render_reference
from dagfactory.emit.docs import render_doc
from dagfactory.emit.lineage import task_graph_mermaid
from dagfactory.emit.pycode import PyCode, literal
from dagfactory.emit.requirements import pipeline_requirements
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
from dagfactory.load.document import load_text
from dagfactory.load.files import scope_of
from dagfactory.model import Pipeline, XCom, build_pipeline
from dagfactory.targets import AIRFLOW_2, AIRFLOW_3

HEAD = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
"""

SPEC = (
    HEAD
    + """groups:
  g: {}
tasks:
  first:
    task: python
    callable: pkg.mod:first
    group: g
  uses_later:
    task: python
    callable: pkg.mod:combine
    group: g
    args: {a: {xcom: later}, b: [{xcom: first}, {k: {xcom: load, key: rows}}]}
  later:
    task: python
    callable: pkg.mod:later
    multiple_outputs: true
    args: {x: {xcom: first}}
  load:
    operator: bash
    bash_command: {xcom: later, key: cmd}
    env: {N: {xcom: first}}
  pick:
    task: branch
    callable: pkg.mod:pick
    branches: [shell]
    retries: 3
  shell:
    task: bash
    callable: pkg.mod:later
edges:
  - pick >> shell
"""
)


def render(tmp_path: Path, text: str = SPEC, target: str = "3") -> str:
    spec = tmp_path / "t.yaml"
    spec.write_text(text, encoding="utf-8")
    (result,) = compile_specs(discover([spec], tmp_path, tmp_path), Config(airflow=target))
    assert [d for d in result.diagnostics if d.is_error] == []
    assert result.text is not None
    return result.text


def pipeline(text: str = SPEC) -> Pipeline:
    doc, problems = load_text(text, "t.yaml")
    assert doc is not None, problems
    graph, problems = build_graph(doc)
    assert problems == []
    return build_pipeline(doc.data, graph, "t.yaml", "t", scope_of(doc))


def test_tasks_are_defined_before_the_tasks_that_take_their_results(tmp_path: Path):
    text = render(tmp_path)
    body = text[text.index(") as dag:") :]
    assert body == (
        """) as dag:
    with TaskGroup(
        group_id="g",
    ) as g:
        first_task = task(task_id="first")(first)()
    later_task = task(task_id="later", multiple_outputs=True)(later)(x=first_task)
    load = BashOperator(
        task_id="load",
        bash_command=later_task["cmd"],
        env={"N": first_task},
    )
    with g:
        uses_later = task(task_id="uses_later")(combine)(
            a=later_task,
            b=[first_task, {"k": load.output["rows"]}],
        )
    pick_task = task.branch(task_id="pick", retries=3)(pick)()
    shell = task.bash(task_id="shell")(later)()

    pick_task >> shell
"""
    )
    assert "from airflow.sdk import DAG, TaskGroup, task\n" in text
    assert "from pkg.mod import combine, first, later, pick\n" in text


def test_the_airflow_2_target_imports_task_from_airflow_decorators(tmp_path: Path):
    text = render(tmp_path, target="2")
    assert "from airflow.decorators import task\n" in text
    assert "airflow.sdk" not in text
    three = render(tmp_path)
    assert text[text.index(") as dag:") :] == three[three.index(") as dag:") :]


def test_a_reference_renders_as_an_xcomarg():
    names = {"a": PyCode("a"), "b": PyCode("b_task")}
    assert literal(render_reference(XCom("a"), names, taskflow=True)) == "a"
    assert literal(render_reference(XCom("a", "rows"), names, taskflow=True)) == 'a["rows"]'
    assert literal(render_reference(XCom("b"), names, taskflow=False)) == "b_task.output"
    assert literal(render_reference(XCom("b", 'x"\n'), names, taskflow=False)) == "b_task.output['x\"\\n']"


def test_a_long_taskflow_call_keeps_the_layout_ruff_format_keeps(tmp_path: Path):
    text = render(
        tmp_path,
        HEAD
        + """tasks:
  a_rather_long_task_name_for_the_line:
    task: virtualenv
    callable: pkg.mod:f
    requirements: [pandas, numpy]
    python_version: "3.11"
    args: {x: 1}
  b: {task: python, callable: pkg.mod:g, args: {script: "line 1\\nline 2\\n"}}
""",
    )
    assert (
        """    a_rather_long_task_name_for_the_line = task.virtualenv(
        task_id="a_rather_long_task_name_for_the_line",
        requirements=["pandas", "numpy"],
        python_version="3.11",
    )(f)(
        x=1,
    )
"""
        in text
    )
    assert '    b = task(task_id="b")(g)(\n        script="""\\\nline 1\nline 2\n""",\n    )\n' in text


def test_docs_and_graph_show_taskflow_tasks_and_the_edges_of_references():
    p = pipeline()
    doc = render_doc(p)
    assert "| `g.first` | `@task` | - |" in doc
    assert "| `later` | `@task` | `g.first` (result) |" in doc
    assert "| `load` | `BashOperator` | `later` (result), `g.first` (result) |" in doc
    assert "| `pick` | `@task.branch`, branches to: `shell` | - |" in doc
    mermaid = task_graph_mermaid(p)
    assert mermaid.count("-->") == len(p.all_edges) == 7
    assert '{"pick"}' in mermaid


def test_taskflow_tasks_need_the_standard_provider_on_airflow_3_only():
    p = pipeline()
    assert pipeline_requirements(p, AIRFLOW_3) == {"apache-airflow-providers-standard"}
    assert pipeline_requirements(p, AIRFLOW_2) == set()


def test_airflow_2_needs_virtualenv_to_parse_a_virtualenv_task():
    p = pipeline(HEAD + "tasks:\n  v: {task: virtualenv, callable: pkg.mod:f}\n")
    assert pipeline_requirements(p, AIRFLOW_2) == {"virtualenv"}
    assert pipeline_requirements(p, AIRFLOW_3) == {"apache-airflow-providers-standard"}
