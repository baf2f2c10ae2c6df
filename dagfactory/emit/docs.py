"""The Markdown docs (``doc_md``) of a generated DAG: who owns it, when it runs, what it reads
and writes (and which pipelines are on the other side), and its tasks in order."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from dagfactory.emit.describe import asset_rows, describe_schedule, markdown_cell, tasks_in_order
from dagfactory.model import Pipeline, Task, XCom

if TYPE_CHECKING:  # imported when rendering only: `validate` never loads jinja2
    import jinja2


@functools.lru_cache(maxsize=1)
def _doc_environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dagfactory.emit", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = markdown_cell
    return env


def _role(task: Task, shown: dict[str, str]) -> str:
    """A setup's or teardown's part, after its operator: " (setup)", " (teardown of `a`, `b`)"."""
    if task.teardown_setups:
        return " (teardown of " + ", ".join(f"`{markdown_cell(shown[s])}`" for s in task.teardown_setups) + ")"
    return " (setup)" if task.setup else ""


def _branches_note(branches: tuple[str, ...], shown: dict[str, str]) -> str:
    """A branch task's targets, as its callable returns them (Airflow ids): "" for other tasks."""
    if not branches:
        return ""
    return ", branches to: " + ", ".join(f"`{markdown_cell(shown[b])}`" for b in branches)


def _mapped_note(task: Task, shown: dict[str, str]) -> str:
    """What a mapped task is mapped over: ", mapped over `bash_command` (3 values)" (several
    arguments: their cross product, `a` x `b` (2 x 3 values)), ", mapped over `x` (the result of
    `extract`)", ", mapped over 2 argument sets", ", mapped over the argument sets `extract` returns";
    "" for other tasks."""

    def result(ref: XCom) -> str:
        return f"`{markdown_cell(shown[ref.source])}`"

    if isinstance(task.expand_kwargs, XCom):
        return f", mapped over the argument sets {result(task.expand_kwargs)} returns"
    if task.expand_kwargs is not None:
        count = len(task.expand_kwargs)
        return f", mapped over {count} argument set{'s' if count != 1 else ''}"
    if not task.expand:
        return ""
    names = " x ".join(f"`{markdown_cell(k)}`" for k, _ in task.expand)
    sizes = [f"the result of {result(v)}" if isinstance(v, XCom) else str(len(v)) for _, v in task.expand]
    if all(isinstance(v, XCom) for _, v in task.expand):
        return f", mapped over {names} ({' x '.join(sizes)})"
    plural = "" if sizes == ["1"] else "s"
    return f", mapped over {names} ({' x '.join(sizes)} value{plural})"


def render_doc(p: Pipeline) -> str:
    upstream: dict[str, list[str]] = {t.task_id: [] for t in p.tasks}
    shown = {t.task_id: t.airflow_task_id for t in p.tasks}  # group-prefixed, as the Airflow UI names them
    for up, down in p.all_edges:
        label = p.graph.label(up, down)
        note = f" ({markdown_cell(label)})" if label else " (result)" if (up, down) in p.reference_edges else ""
        upstream[down].append(f"`{markdown_cell(shown[up])}`" + note)
    owner = p.business_owner
    parts = [markdown_cell(owner.name)]
    if owner.team:
        parts.append(f"({markdown_cell(owner.team)})")
    if owner.email:
        parts.append(f"<{markdown_cell(owner.email)}>")
    tasks = [
        {
            "task_id": shown[t.task_id],
            "operator": f"`{t.class_name}`"
            + _role(t, shown)
            + _branches_note(t.branches, shown)
            + _mapped_note(t, shown),
            "upstream": ", ".join(upstream[t.task_id]) or "-",
        }
        for t in tasks_in_order(p)
    ]
    text = (
        _doc_environment()
        .get_template("doc.md.jinja")
        .render(
            p=p,
            business_owner=" ".join(parts),
            schedule=markdown_cell(describe_schedule(p.schedule, p.timezone)),
            assets=asset_rows(p),
            tasks=tasks,
        )
    )
    return text.rstrip("\n") + "\n"
