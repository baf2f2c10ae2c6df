"""How a pipeline reads to people: its schedule in words, its tasks in dependency order, and
the assets it reads and writes with the pipelines on the other side. Shared by the DAG's
Markdown docs and the lineage outputs, so both say the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from dagfactory.check.lineage import normalized_uri, topological_order
from dagfactory.model import AssetRef, Pipeline, Schedule, Task
from dagfactory.values import Duration


def markdown_cell(value: object) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join(str(value).split()).replace("|", "\\|")


def describe_schedule(schedule: Schedule, timezone: str) -> str:
    words = {
        "@once": "once", "@hourly": "every hour", "@daily": "every day at midnight",
        "@weekly": "every Sunday at midnight", "@monthly": "on the 1st of every month at midnight",
        "@quarterly": "on the 1st of every quarter at midnight", "@yearly": "every 1 January at midnight",
        "@continuous": "continuously, one run after another",
    }  # fmt: skip
    if schedule.kind == "none":
        return "manual runs only (no schedule)"
    if schedule.kind == "preset":
        text = f"`{schedule.value}`: {words.get(str(schedule.value), str(schedule.value))}"
    elif schedule.kind == "cron":
        text = f"cron `{schedule.value}`"
    elif schedule.kind == "every":
        assert isinstance(schedule.value, Duration)
        text = "every " + ", ".join(f"{a} {u}" for u, a in schedule.value.parts)
    else:
        assert isinstance(schedule.value, tuple)
        return "when all of these assets are updated: " + ", ".join(f"`{a.uri}`" for a in schedule.value)
    return f"{text} ({timezone})"


@dataclass(frozen=True)
class AssetRow:
    direction: str  # "input", "trigger" (the schedule waits for it) or "output"
    uri: str
    name: str | None
    description: str | None
    others: str  # Markdown: the other pipelines producing (input) or consuming (output) it


def tasks_in_order(p: Pipeline) -> list[Task]:
    by_id = {t.task_id: t for t in p.tasks}
    return [by_id[t] for t in topological_order(list(by_id), list(p.all_edges))]


def pipeline_assets(p: Pipeline) -> dict[str, list[AssetRef]]:
    """Inputs and outputs of the DAG and its tasks (first mention of each URI wins), and
    the schedule's assets that are not already inputs."""
    inputs = _unique([*p.inputs, *(a for t in p.tasks for a in t.inputs)])
    outputs = _unique([*p.outputs, *(a for t in p.tasks for a in t.outputs)])
    listed = {a.uri for a in inputs}
    scheduled = p.schedule.value if p.schedule.kind == "assets" and isinstance(p.schedule.value, tuple) else ()
    triggers = [a for a in _unique(list(scheduled)) if a.uri not in listed]
    return {"input": inputs, "trigger": triggers, "output": outputs}


def _unique(assets: list[AssetRef]) -> list[AssetRef]:
    return list({a.uri: a for a in reversed(assets)}.values())[::-1]


def asset_key(uri: str) -> str:
    """How the repo graph names an asset: the URI as Airflow normalises it."""
    try:
        return normalized_uri(uri)
    except ValueError:
        return uri


def asset_rows(p: Pipeline) -> list[AssetRow]:
    rows = []
    for direction, assets in pipeline_assets(p).items():
        links = p.consumers if direction == "output" else p.producers
        verb = "read by" if direction == "output" else "written by"
        for a in assets:
            others = links.get(asset_key(a.uri), ())
            text = f"{verb} " + ", ".join(f"`{d}`" for d in others) if others else "-"
            rows.append(AssetRow(direction, a.uri, a.name, a.description, text))
    return rows
