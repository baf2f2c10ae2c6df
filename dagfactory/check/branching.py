"""Branching: a ``branch_python`` task's ``branches:``, and the tasks where its branches join.

``branches`` lists the task ids the task's callable may return (Airflow has no such
argument: it is checked and documented, never passed). Each must be a direct downstream
task of the branch task by the spec's edges (groups expanded), because Airflow follows or
skips only direct downstream tasks: an unknown id is DF302 with a did-you-mean, a task
that is not directly downstream is DF308. Without ``branches`` nothing here applies.

The trap (DF306, a warning): a task whose upstream tasks come from two different branches
of the same branch task, with a trigger rule that skips it when one upstream is skipped
(``all_success``, Airflow's default, or ``none_skipped``): whichever branch is chosen,
the other is skipped, and so is the join. A teardown is never warned about: Airflow runs it
under ``all_done_setup_success`` whatever the default_args say (and refuses a rule of its own).
"""

from __future__ import annotations

from typing import Any

from dagfactory.check.graph import TaskGraph
from dagfactory.check.groups import group_tree
from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.load.document import Document
from dagfactory.operators.taskflow import BRANCHING_FLAVOURS, flavour_of

BRANCHING_OPERATORS = ("branch_python",)
# Trigger rules under which a task is skipped as soon as one of its upstream tasks is skipped.
SKIPPED_BY_A_SKIP = ("all_success", "none_skipped")
JOIN_RULE = "none_failed_min_one_success"
TEARDOWN_RULE = "all_done_setup_success"


def branches_of(data: dict[str, Any]) -> dict[str, list[str]]:
    """Each branch task's ``branches`` (task ids), for the tasks that list them, in spec order."""
    out: dict[str, list[str]] = {}
    for tid, task in _mapping(data.get("tasks")).items():
        if isinstance(task, dict) and (task.get("operator") in BRANCHING_OPERATORS or _branch_flavour(task)):
            names = task.get("branches")
            if isinstance(names, list):
                out[tid] = [n for n in names if isinstance(n, str)]
    return out


def check_branches(doc: Document, graph: TaskGraph, complete: bool = True) -> list[Diagnostic]:
    """The rules above, each at the list item or task it is about. ``complete``: the edges had no
    errors; when some were dropped, only unknown ids are reported (the graph is partial)."""
    data: dict[str, Any] = doc.data
    tasks = _mapping(data.get("tasks"))
    downstream: dict[str, list[str]] = {}
    upstream: dict[str, list[str]] = {}
    for up, down in graph.edges:
        downstream.setdefault(up, []).append(down)
        upstream.setdefault(down, []).append(up)
    out: list[Diagnostic] = []
    for tid, names in branches_of(data).items():
        valid: list[str] = []
        for index, name in enumerate(names):
            path = ("tasks", tid, "branches", index)
            if name not in tasks:
                hint = did_you_mean(name, sorted(tasks)) or "name a task under `tasks:`"
                out.append(doc.diagnostic(path, "DF302", f"task {tid!r}: unknown task {name!r} in branches", hint=hint))
            elif not complete:
                continue
            elif name not in downstream.get(tid, []):
                out.append(
                    doc.diagnostic(
                        path,
                        "DF308",
                        f"task {tid!r}: branch {name!r} is not a direct downstream task of {tid!r}",
                        hint=f"add `{tid} >> {name}` to edges: Airflow follows or skips only a branch "
                        "task's direct downstream tasks",
                    )
                )
            else:
                valid.append(name)
        if complete:
            out.extend(_joins(doc, tid, valid, downstream, upstream))
    return out


def _joins(
    doc: Document,
    branch_task: str,
    branches: list[str],
    downstream: dict[str, list[str]],
    upstream: dict[str, list[str]],
) -> list[Diagnostic]:
    """DF306 at each task where two of ``branch_task``'s branches meet under a skipping trigger rule."""
    reach: dict[str, set[str]] = {}  # task -> the branches it is, or is downstream of
    for branch in branches:
        todo, seen = [branch], set()
        while todo:
            task = todo.pop()
            if task in seen:
                continue
            seen.add(task)
            reach.setdefault(task, set()).add(branch)
            todo.extend(downstream.get(task, []))
    out: list[Diagnostic] = []
    data: dict[str, Any] = doc.data
    for task in _mapping(data.get("tasks")):
        # What each upstream edge brings: the branches its upstream task is on, or, for an edge
        # from the branch task itself, the task when it is a branch (not choosing it skips it).
        brought = [
            {task} if up == branch_task and task in branches else reach.get(up, set()) for up in upstream.get(task, [])
        ]
        # Two edges bring two different branches exactly when two edges bring any and, together,
        # at least two branches (one pass: a fan-in of thousands of edges is not compared pairwise).
        carrying = [group for group in brought if group]
        met = sorted(set().union(*carrying))
        if len(carrying) < 2 or len(met) < 2:
            continue
        rule, where = _trigger_rule(data, task)
        if rule not in SKIPPED_BY_A_SKIP:
            continue
        said = "the default all_success" if where is None else rule
        out.append(
            doc.diagnostic(
                ("tasks", task, "trigger_rule") if where == "task" else ("tasks", task),
                "DF306",
                f"task {task!r} joins branches {', '.join(map(repr, met))} of {branch_task!r}, but its trigger_rule "
                f"is {said}: the branch not chosen is skipped, and so is {task!r}",
                severity="warning",
                key=where != "task",
                hint=f"set `trigger_rule: {JOIN_RULE}` on {task!r}",
            )
        )
    return out


def _trigger_rule(data: dict[str, Any], task_id: str) -> tuple[str, str | None]:
    """The task's trigger rule and where it is set: "task", "group", "dag", "teardown" (Airflow
    gives every teardown all_done_setup_success, which a skipped upstream task does not skip), or
    None (Airflow's default)."""
    task = _mapping(data.get("tasks")).get(task_id)
    if isinstance(task, dict) and "teardown" in task:
        return TEARDOWN_RULE, "teardown"
    if isinstance(task, dict) and isinstance(task.get("trigger_rule"), str):
        return task["trigger_rule"], "task"
    tree = group_tree(data)
    groups = _mapping(data.get("groups"))
    for gid in tree.ancestors(tree.task_group.get(task_id)):
        rule = _mapping(_mapping(groups.get(gid)).get("default_args")).get("trigger_rule")
        if isinstance(rule, str):
            return rule, "group"
    rule = _mapping(data.get("default_args")).get("trigger_rule")
    if isinstance(rule, str):
        return rule, "dag"
    return "all_success", None


def _branch_flavour(task: dict[str, Any]) -> bool:
    """A TaskFlow branch task (``task: branch``), which takes ``branches:`` as branch_python does."""
    flavour = flavour_of(task)
    return flavour is not None and flavour.name in BRANCHING_FLAVOURS and "operator" not in task


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
