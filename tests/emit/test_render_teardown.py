"""Rendering setup and teardown tasks: as_teardown/as_setup after the edges, docs and graph."""

from __future__ import annotations

from pathlib import Path

from dagfactory.emit import compile_specs
from dagfactory.emit.lineage import task_graph_dot, task_graph_mermaid
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
from dagfactory.model import Pipeline

from ..conftest import REPO

SPEC = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
groups:
  g: {}
tasks:
  create: {operator: empty, setup: true}
  start_a_rather_long_named_cluster_for_the_job: {operator: empty, setup: true}
  lone: {operator: empty, setup: true}
  work: {operator: empty, group: g}
  cleanup:
    operator: empty
    teardown: {setups: [create]}
  stop_the_rather_long_named_cluster_after_the_job:
    operator: empty
    teardown:
      setups: [create, start_a_rather_long_named_cluster_for_the_job]
      on_failure_fail_dagrun: true
edges:
  - create >> g >> cleanup
"""


def compiled(tmp_path: Path, text: str = SPEC, target: str = "3"):
    spec = tmp_path / "s.yaml"
    spec.write_text(text, encoding="utf-8")
    (result,) = compile_specs(discover([spec], tmp_path, tmp_path), Config(airflow=target))
    assert [d for d in result.diagnostics if d.is_error] == []
    assert result.text is not None
    return result


def test_setups_and_teardowns_are_marked_after_the_edges(tmp_path: Path):
    text = compiled(tmp_path).text
    tail = text[text.index("    create >> g >> cleanup\n") :]
    assert tail == (
        """    create >> g >> cleanup
    lone.as_setup()
    cleanup.as_teardown(setups=create)
    stop_the_rather_long_named_cluster_after_the_job.as_teardown(
        setups=[create, start_a_rather_long_named_cluster_for_the_job],
        on_failure_fail_dagrun=True,
    )
"""
    )
    compile(text, "s.py", "exec")
    assert "setup=" not in text  # not an operator argument
    assert "teardown=" not in text


def test_both_targets_write_the_same_calls(tmp_path: Path):
    three, two = compiled(tmp_path).text, compiled(tmp_path, target="2").text
    assert three[three.index(") as dag:") :] == two[two.index(") as dag:") :]


def test_a_short_teardown_line_stays_on_one_line(tmp_path: Path):
    text = compiled(tmp_path, SPEC.replace("setups: [create]}", "setups: [create, lone]}")).text
    assert "    cleanup.as_teardown(setups=[create, lone])\n" in text
    assert "lone.as_setup()" not in text  # as_teardown marks it a setup


def test_docs_name_setups_and_teardowns_with_the_edges_airflow_adds(tmp_path: Path):
    text = compiled(tmp_path).text
    assert "| `create` | `EmptyOperator` (setup) | - |" in text
    assert "| `cleanup` | `EmptyOperator` (teardown of `create`) | `g.work`, `create` |" in text
    long = "stop_the_rather_long_named_cluster_after_the_job"
    assert f"| `{long}` | `EmptyOperator` (teardown of `create`, " in text


def pipeline(tmp_path: Path) -> Pipeline:
    from dagfactory.check.project import check_project
    from dagfactory.model import model_of

    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    [result] = check_project(discover([spec], tmp_path, tmp_path)).results
    return model_of(result)


def test_all_edges_adds_each_setup_to_teardown_edge_once(tmp_path: Path):
    p = pipeline(tmp_path)
    long_setup = "start_a_rather_long_named_cluster_for_the_job"
    long_teardown = "stop_the_rather_long_named_cluster_after_the_job"
    assert p.all_edges == (
        ("create", "work"),
        ("work", "cleanup"),
        ("create", "cleanup"),
        ("create", long_teardown),
        (long_setup, long_teardown),
    )
    assert set(p.graph.edges) < set(p.all_edges)


def test_graph_draws_the_teardown_edges_dashed(tmp_path: Path):
    p = pipeline(tmp_path)
    mermaid = task_graph_mermaid(p)
    assert mermaid.count(" -.-> ") == 3
    assert mermaid.count(" --> ") == 2
    dot = task_graph_dot(p)
    assert dot.count("[style=dashed]") == 3


def test_specs_without_setups_have_no_such_calls():
    for path in sorted((REPO / "generated_dags").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "setup_teardown" not in path.name:
            assert ".as_teardown(" not in text
            assert ".as_setup()" not in text
