"""What the cross-spec rules read of one spec: its summary.

The rules across specs (unique dag_ids, pools, lineage, module names, the docs' context) need
a few hundred bytes of each spec, not its document. A checked spec is cut down to that
(:func:`cross_spec_data` with :func:`positions_under`) as soon as its own checks are done, and
the cache keeps the same summary beside the spec's data (:func:`summary_fields`), so a spec
restored from it is never walked whole again.
"""

from __future__ import annotations

from typing import Any

from dagfactory.check.lineage import context_part
from dagfactory.check.shadowing import imported_packages
from dagfactory.load.document import Document, JsonPath, NodeInfo


def cross_spec_data(data: dict[str, Any]) -> dict[str, Any]:
    """What the cross-spec rules read of a spec: its dag_id, lineage and schedule, the pools it
    declares and uses, and the pool and assets of each task that has any (in spec order)."""
    kept: dict[str, Any] = {key: data[key] for key in ("dag_id", "lineage", "schedule", "pools") if key in data}
    args = data.get("default_args")
    if isinstance(args, dict) and "pool" in args:
        kept["default_args"] = {"pool": args["pool"]}
    groups = data.get("groups")
    if isinstance(groups, dict):
        pooled = {
            group_id: {"default_args": {"pool": group["default_args"]["pool"]}}
            for group_id, group in groups.items()
            if isinstance(group, dict)
            and isinstance(group.get("default_args"), dict)
            and "pool" in group["default_args"]
        }
        if pooled:
            kept["groups"] = pooled
    tasks = data.get("tasks")
    if isinstance(tasks, dict):
        kept["tasks"] = {
            task_id: {key: task[key] for key in ("pool", "inputs", "outputs") if key in task}
            for task_id, task in tasks.items()
            if isinstance(task, dict) and ("pool" in task or "inputs" in task or "outputs" in task)
        }
    return kept


def positions_under(data: object, nodes: dict[JsonPath, NodeInfo]) -> dict[JsonPath, NodeInfo]:
    """The positions of the root and of every value in ``data`` (a part of the document's data):
    a diagnostic at any of them lands where it would in the whole document."""
    kept: dict[JsonPath, NodeInfo] = {(): nodes[()]} if () in nodes else {}
    stack: list[tuple[JsonPath, object]] = [((), data)]
    while stack:
        path, value = stack.pop()
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            below = (*path, key)
            info = nodes.get(below)
            if info is not None:
                kept[below] = info
            stack.append((below, child))
    return kept


def summary_fields(doc: Document) -> dict[str, Any]:
    """A valid spec's summary as the cache keeps it: its cross-spec data, the packages its DAG
    imports and its part of the docs' context (see :func:`~dagfactory.check.lineage.context_part`)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    return fields(cross_spec_data(data), frozenset(imported_packages(data)), context_part(doc))


def fields(cross: dict[str, Any], imports: frozenset[str], part: str) -> dict[str, Any]:
    """A summary as the cache keeps it, from its parts (a slim check result holds them already)."""
    return {"cross": cross, "imports": sorted(imports), "part": part}
