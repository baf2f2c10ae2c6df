"""Rendering task groups and labelled edges: nesting, variables, imports per target."""

from __future__ import annotations

from pathlib import Path

from dagfactory.emit import compile_specs
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
from dagfactory.targets import AIRFLOW_2

from ..conftest import FIXTURES, REPO

SPEC = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
groups:
  outer: {tooltip: Outer, default_args: {retries: 2}}
  inner: {group: outer, prefix_group_id: false}
  TaskGroup: {}
tasks:
  a: {operator: empty}
  b: {operator: empty, group: inner}
  c: {operator: empty, group: outer}
  d: {operator: empty, group: TaskGroup}
  e: {operator: empty}
edges:
  - a >> outer >> e
  - from: c
    to: TaskGroup
    label: go
"""


def render(tmp_path: Path, text: str = SPEC, target: str = "3") -> str:
    spec = tmp_path / "g.yaml"
    spec.write_text(text, encoding="utf-8")
    (result,) = compile_specs(discover([spec], tmp_path, tmp_path), Config(airflow=target))
    assert [d for d in result.diagnostics if d.is_error] == []
    assert result.text is not None
    return result.text


def test_groups_nest_around_their_tasks_where_the_first_task_is(tmp_path: Path):
    text = render(tmp_path)
    body = text[text.index(") as dag:") :]
    assert body == (
        """) as dag:
    a = EmptyOperator(
        task_id="a",
    )
    with TaskGroup(
        group_id="outer",
        tooltip="Outer",
        default_args={"retries": 2},
    ) as outer:
        with TaskGroup(
            group_id="inner",
            prefix_group_id=False,
        ) as inner:
            b = EmptyOperator(
                task_id="b",
            )
        c = EmptyOperator(
            task_id="c",
        )
    with TaskGroup(
        group_id="TaskGroup",
    ) as TaskGroup_task:
        d = EmptyOperator(
            task_id="d",
        )
    e = EmptyOperator(
        task_id="e",
    )

    a >> outer >> e
    c.set_downstream(TaskGroup_task, edge_modifier=Label("go"))
"""
    )


def test_a_group_named_like_an_import_gets_its_own_variable(tmp_path: Path):
    text = render(tmp_path)
    assert "from airflow.sdk import DAG, Label, TaskGroup\n" in text
    assert ") as TaskGroup_task:" in text  # the class keeps its name, the group variable takes another
    compile(text, "g.py", "exec")


def test_airflow_2_imports_from_its_own_modules(tmp_path: Path):
    text = render(tmp_path, target="2")
    assert f"from {AIRFLOW_2.group_import[0]} import TaskGroup\n" in text
    assert f"from {AIRFLOW_2.label_import[0]} import Label\n" in text
    assert "airflow.sdk" not in text


def test_docs_show_airflow_task_ids_and_labels(tmp_path: Path):
    text = render(tmp_path)
    assert "| `outer.c` | `EmptyOperator` | `a` |" in text
    assert "| `TaskGroup.d` | `EmptyOperator` | `outer.c` (go) |" in text
    assert "| `b` | `EmptyOperator` | `a` |" in text  # inner does not prefix


def test_specs_without_groups_import_neither_class():
    plain = [p for p in sorted((REPO / "generated_dags").rglob("*.py")) if p.name != "grouped_pipeline.py"]
    assert len(plain) >= 8
    for path in plain:
        text = path.read_text(encoding="utf-8")
        assert "TaskGroup" not in text
        assert "Label" not in text
    grouped = (REPO / "generated_dags" / "grouped_pipeline.py").read_text(encoding="utf-8")
    assert "from airflow.sdk import DAG, Label, TaskGroup\n" in grouped
    assert (FIXTURES / "valid" / "groups.yaml").exists()
