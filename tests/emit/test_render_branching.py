"""Branching in the outputs: `branches` is never an operator argument, but the docs and the
task graph show it (in Airflow ids, which the callable returns)."""

from __future__ import annotations

from dagfactory.check.graph import build_graph
from dagfactory.emit.docs import render_doc
from dagfactory.emit.lineage import task_graph_dot, task_graph_mermaid
from dagfactory.load.document import load_text
from dagfactory.load.files import scope_of
from dagfactory.model import Pipeline, build_pipeline

SPEC = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
groups:
  paths: {}
tasks:
  choose:
    operator: branch_python
    python_callable: pkg.mod:pick
    branches: [full, incremental]
  full: {operator: empty, group: paths}
  incremental: {operator: empty, group: paths}
  gate: {operator: short_circuit, python_callable: pkg.mod:ok}
  join: {operator: empty, trigger_rule: none_failed_min_one_success}
edges:
  - choose >> paths >> join >> gate
"""


def pipeline() -> Pipeline:
    doc, problems = load_text(SPEC, "s.yaml")
    assert doc is not None, problems
    graph, problems = build_graph(doc)
    assert problems == []
    return build_pipeline(doc.data, graph, "s.yaml", "s", scope_of(doc))


def test_docs_say_where_a_branch_task_branches_to_in_airflow_ids():
    text = render_doc(pipeline())
    assert "| `choose` | `BranchPythonOperator`, branches to: `paths.full`, `paths.incremental` | - |" in text
    assert "| `gate` | `ShortCircuitOperator` | `join` |" in text
    assert text.count("branches to") == 1


def test_the_task_graph_draws_a_branch_task_as_a_decision():
    mermaid = task_graph_mermaid(pipeline()).splitlines()
    assert '    t0{"choose"}' in mermaid
    assert '        t1["paths.full"]' in mermaid
    assert sum("{" in line for line in mermaid) == 1
    dot = task_graph_dot(pipeline())
    assert '    t0 [label="choose", shape=diamond];\n' in dot
    assert dot.count("diamond") == 1
