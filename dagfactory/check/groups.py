"""Task groups: the ``groups:`` mapping, each task's ``group:``, and the task ids Airflow gives them.

A group may sit in another (``group: parent``); a task in a group whose ``prefix_group_id``
is true (Airflow's default) is known to Airflow as ``group.task`` (through every prefixed
parent). Checked here: a group id that is also a task id, a ``group:`` naming no group,
a parent chain that loops or nests deeper than :data:`MAX_GROUP_DEPTH`, a group without any
task (edges to it would do nothing), and the Airflow ids that result: at most 250 characters,
unique in the DAG. Every walk up the groups stops after :data:`MAX_GROUP_DEPTH` + 1 steps, so
a hostile chain of groups costs linear time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.load.document import Document

MAX_ID = 250  # Airflow's task_id column
# Each group is a `with TaskGroup(...)` block inside `with DAG(...)`; Python refuses more than 20
# statically nested blocks, and no readable pipeline needs more than a few levels.
MAX_GROUP_DEPTH = 10


@dataclass(frozen=True)
class GroupTree:
    """Who is in which group, read from a schema-valid spec (loops and unknown parents cut off)."""

    parent: dict[str, str | None]  # group id -> parent group id
    prefix: dict[str, bool]  # group id -> prefix_group_id
    task_group: dict[str, str | None]  # task id -> its group id

    def ancestors(self, group: str | None) -> list[str]:
        """``group`` and the groups it sits in, innermost first: at most ``MAX_GROUP_DEPTH + 1``
        of them (a deeper chain is an error, and the walk must stay short), never one twice."""
        chain: list[str] = []
        seen: set[str] = set()
        while group is not None and group not in seen and len(chain) <= MAX_GROUP_DEPTH:
            chain.append(group)
            seen.add(group)
            group = self.parent.get(group)
        return chain

    @cached_property
    def _members(self) -> dict[str, list[str]]:
        members: dict[str, list[str]] = {}
        for task, group in self.task_group.items():
            for outer in self.ancestors(group):
                members.setdefault(outer, []).append(task)
        return members

    def members(self, group: str) -> list[str]:
        """Every task in ``group`` or in a group inside it, in spec order."""
        return self._members.get(group, [])

    def full_group_id(self, group: str) -> str:
        """The group's id in Airflow: prefixed by its parent's when the parent prefixes."""
        parent = self.parent.get(group)
        if parent is None or group in self.ancestors(parent):
            return group
        return self.child_id(parent, group)

    def child_id(self, group: str | None, label: str) -> str:
        if group is None or not self.prefix.get(group, True):
            return label
        return f"{self.full_group_id(group)}.{label}"

    def airflow_task_id(self, task_id: str) -> str:
        return self.child_id(self.task_group.get(task_id), task_id)


def group_tree(data: dict[str, Any]) -> GroupTree:
    groups, tasks = _mapping(data.get("groups")), _mapping(data.get("tasks"))
    parent: dict[str, str | None] = {}
    prefix: dict[str, bool] = {}
    for gid, group in groups.items():
        body = group if isinstance(group, dict) else {}
        up = body.get("group")
        parent[gid] = up if isinstance(up, str) and up in groups else None
        prefix[gid] = body.get("prefix_group_id", True) is not False
    task_group: dict[str, str | None] = {}
    for tid, task in tasks.items():
        g = task.get("group") if isinstance(task, dict) else None
        task_group[tid] = g if isinstance(g, str) and g in groups else None
    walk = GroupTree(parent, prefix, task_group)  # its members are never read: no cache to go stale
    for gid in groups:  # a loop or a chain too deep is reported by check_groups; cut it
        if gid in walk.ancestors(parent[gid]) or len(walk.ancestors(gid)) > MAX_GROUP_DEPTH:
            parent[gid] = None
    return GroupTree(parent, prefix, task_group)


def check_groups(doc: Document) -> list[Diagnostic]:
    """The rules above, each at the key or value it is about (schema-valid shapes assumed where read)."""
    data: dict[str, Any] = doc.data
    groups, tasks = _mapping(data.get("groups")), _mapping(data.get("tasks"))
    out: list[Diagnostic] = []
    names = sorted(groups)
    for gid, group in groups.items():
        if gid in tasks:
            out.append(
                doc.diagnostic(
                    ("groups", gid),
                    "DF305",
                    f"group id {gid!r} is also a task id",
                    key=True,
                    hint="give the group or the task another id: edges name both the same way",
                )
            )
        up = group.get("group") if isinstance(group, dict) else None
        if isinstance(up, str) and up not in groups:
            out.append(
                doc.diagnostic(
                    ("groups", gid, "group"),
                    "DF302",
                    f"group {gid!r}: unknown parent group {up!r}",
                    hint=did_you_mean(up, names) or _declare(names),
                )
            )
    for tid, task in tasks.items():
        g = task.get("group") if isinstance(task, dict) else None
        if isinstance(g, str) and g not in groups:
            out.append(
                doc.diagnostic(
                    ("tasks", tid, "group"),
                    "DF302",
                    f"task {tid!r}: unknown group {g!r}",
                    hint=did_you_mean(g, names) or _declare(names),
                )
            )
    raw_parent = {
        g: b.get("group") if isinstance(b, dict) and isinstance(b.get("group"), str) else None
        for g, b in groups.items()
    }
    depth, loops = _depths(raw_parent)
    looped = {g for loop in loops for g in loop}
    for loop in loops:
        for i, gid in enumerate(loop):
            around = [*loop[i:], *loop[:i]]  # gid, its parent, ..., back to gid
            shown = " in ".join([*around, gid]) if len(loop) <= MAX_GROUP_DEPTH else f"through {len(loop)} groups"
            out.append(
                doc.diagnostic(
                    ("groups", gid, "group"),
                    "DF305",
                    f"group {gid!r} is nested in itself: {shown}",
                    hint="a group's `group:` names the group it sits in; remove one of these",
                )
            )
    for gid in groups:
        if depth.get(gid) == MAX_GROUP_DEPTH + 1:  # the first group too deep, once per chain
            looped.add(gid)
            out.append(
                doc.diagnostic(
                    ("groups", gid, "group"),
                    "DF305",
                    f"group {gid!r} would be nested {MAX_GROUP_DEPTH + 1} deep, more than {MAX_GROUP_DEPTH}",
                    hint=f"nest groups at most {MAX_GROUP_DEPTH} deep: put this group in a group nearer the top",
                )
            )
    tree = group_tree(data)
    for gid in groups:
        if not tree.members(gid) and not looped:  # a loop leaves groups without tasks: one report
            out.append(
                doc.diagnostic(
                    ("groups", gid),
                    "DF305",
                    f"group {gid!r} has no tasks",
                    key=True,
                    hint="put a task in it with `group: " + gid + "`, or remove it: an edge to an empty group "
                    "would do nothing",
                )
            )
    out.extend(_check_airflow_ids(doc, tree, groups, tasks))
    return out


def _depths(parent: dict[str, str | None]) -> tuple[dict[str, int | None], list[list[str]]]:
    """Each group's nesting depth (1: at the top; None: on or inside a loop of ``group:``
    links) and each loop (a group, its parent, ... in link order, starting at the loop's first
    group in spec order); one walk per group, each group's depth computed once: linear."""
    depth: dict[str, int | None] = {}
    loops: list[list[str]] = []
    order = {group: index for index, group in enumerate(parent)}
    for start in parent:
        path: list[str] = []
        position: dict[str, int] = {}
        group: str | None = start
        while group is not None and group in parent and group not in depth and group not in position:
            position[group] = len(path)
            path.append(group)
            group = parent[group]
        base: int | None
        if group is None or group not in parent:
            base = 0
        elif group in position:  # this walk closed a loop
            loop = path[position[group] :]
            first = min(loop, key=order.__getitem__)
            loops.append([*loop[loop.index(first) :], *loop[: loop.index(first)]])
            for member in loop:
                depth[member] = None
            path = path[: position[group]]
            base = None
        else:
            base = depth[group]
        for member in reversed(path):
            base = None if base is None else base + 1
            depth[member] = base
    return depth, loops


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _declare(names: list[str]) -> str:
    return f"declare it under `groups:` (groups: {', '.join(names)})" if names else "declare it under `groups:`"


def _check_airflow_ids(
    doc: Document, tree: GroupTree, groups: dict[str, Any], tasks: dict[str, Any]
) -> list[Diagnostic]:
    """Airflow keeps task ids and group ids (with each group's two join ids) in one namespace."""
    out: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for gid in groups:
        full = tree.full_group_id(gid)
        for used in (full, f"{full}.upstream_join_id", f"{full}.downstream_join_id"):
            seen.setdefault(used, f"group {gid!r}")
    for tid in tasks:
        if tid in groups:
            continue  # reported as a group id that is also a task id
        full = tree.airflow_task_id(tid)
        if len(full) > MAX_ID:
            out.append(
                doc.diagnostic(
                    ("tasks", tid),
                    "DF305",
                    f"task {tid!r} has an Airflow task id of {len(full)} characters, more than {MAX_ID}",
                    key=True,
                    hint="shorten the task id or its groups' ids, or set `prefix_group_id: false` on a group",
                )
            )
            continue
        first = seen.setdefault(full, f"task {tid!r}")
        if first != f"task {tid!r}":
            out.append(_collision(doc, tid, full, first))
    return out


def _collision(doc: Document, tid: str, full: str, first: str) -> Diagnostic:
    return doc.diagnostic(
        ("tasks", tid),
        "DF305",
        f"task {tid!r} has the id {full!r} in Airflow, as {first} does",
        key=True,
        hint="rename one of them, or let its group prefix the ids (`prefix_group_id: true`)",
    )
