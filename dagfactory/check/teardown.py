"""Setup and teardown tasks: a task's ``setup: true`` and ``teardown: {setups: [...]}``.

A teardown names the setup tasks it tears down; each must be a task with ``setup: true``
(written, not implied: Airflow's ``as_teardown(setups=...)`` would quietly make any task a
setup). ``as_teardown`` also makes every setup upstream of its teardown, so those edges
join the spec's when looking for cycles. Checked here: unknown or repeated setups, a task
that is both, a teardown named as a setup, a teardown's own ``trigger_rule`` (Airflow
replaces it with ``all_done_setup_success``), a setup downstream of its teardown, and
Airflow's own rule that the tasks right after a setup, teardowns apart, use ``all_success``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagfactory.check.groups import group_tree
from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.load.document import Document, JsonPath


def _tasks(data: Any) -> dict[str, Any]:
    tasks = data.get("tasks") if isinstance(data, dict) else None
    return {k: v for k, v in tasks.items() if isinstance(v, dict)} if isinstance(tasks, dict) else {}


def is_setup(task: dict[str, Any]) -> bool:
    return task.get("setup") is True


def setups_of(task: dict[str, Any]) -> list[str]:
    """The setups a teardown names ([] for a task that is not a teardown)."""
    body = task.get("teardown")
    setups = body.get("setups") if isinstance(body, dict) else None
    return [s for s in setups if isinstance(s, str)] if isinstance(setups, list) else []


def teardown_edges(data: Any) -> list[tuple[str, str]]:
    """The (setup, teardown) edges ``as_teardown(setups=...)`` adds, for setups that exist."""
    tasks = _tasks(data)
    return list(dict.fromkeys((s, tid) for tid, task in tasks.items() for s in setups_of(task) if s in tasks))


def check_setup_teardown(doc: Document) -> list[Diagnostic]:
    """The rules that need no edges, each at the key or list item it is about."""
    tasks = _tasks(doc.data)
    out: list[Diagnostic] = []
    names = sorted(tasks)
    for tid, task in tasks.items():
        if not isinstance(task.get("teardown"), dict):
            continue
        if is_setup(task):
            out.append(
                doc.diagnostic(
                    ("tasks", tid, "setup"),
                    "DF307",
                    f"task {tid!r} is both a setup and a teardown",
                    key=True,
                    hint="split it into two tasks: a setup, and a teardown naming it in `teardown.setups`",
                )
            )
        if "trigger_rule" in task:
            out.append(
                doc.diagnostic(
                    ("tasks", tid, "trigger_rule"),
                    "DF307",
                    f"teardown {tid!r} sets trigger_rule, which Airflow replaces with all_done_setup_success",
                    key=True,
                    hint="remove it: a teardown runs once its setups are done, whatever the tasks between did",
                )
            )
        seen: set[str] = set()
        for index, name in enumerate(setups_of(task)):
            out.extend(_check_setup_name(doc, (tid, index), name, tasks, names, seen))
            seen.add(name)
    return out


def _check_setup_name(
    doc: Document, where: tuple[str, int], name: str, tasks: dict[str, Any], names: list[str], seen: set[str]
) -> Iterable[Diagnostic]:
    tid, index = where
    path: JsonPath = ("tasks", tid, "teardown", "setups", index)
    if name not in tasks:
        yield doc.diagnostic(
            path,
            "DF302",
            f"teardown {tid!r}: unknown setup task {name!r}",
            hint=did_you_mean(name, names) or "name a task with `setup: true`",
        )
    elif name in seen:
        yield doc.diagnostic(path, "DF307", f"teardown {tid!r} names setup {name!r} twice", hint="remove one")
    elif name == tid:
        yield doc.diagnostic(path, "DF307", f"teardown {tid!r} names itself as its setup", hint="name its setup task")
    elif isinstance(tasks[name].get("teardown"), dict):
        yield doc.diagnostic(
            path,
            "DF307",
            f"teardown {tid!r} names {name!r}, a teardown, as its setup",
            hint="a task is a setup or a teardown, not both: name the setup task that "
            f"{name!r} tears down, or make {name!r} a setup",
        )
    elif tasks[name].get("setup", False) is False:  # a setup: that is not a boolean is the schema's to report
        yield doc.diagnostic(
            path,
            "DF307",
            f"teardown {tid!r} names {name!r}, which is not a setup task",
            hint=f"add `setup: true` to task {name!r}",
        )


def check_teardown_graph(doc: Document, edges: Iterable[tuple[str, str]], *, cyclic: bool) -> list[Diagnostic]:
    """With the spec's task-to-task ``edges`` (groups expanded): setups downstream of their
    teardowns, and tasks right after a setup whose trigger rule Airflow refuses there.
    ``cyclic``: whether ``edges`` with the setup-to-teardown edges have a cycle (the caller knows)."""
    data = doc.data
    tasks = _tasks(data)
    implicit = teardown_edges(data)
    downstream: dict[str, set[str]] = {}
    for up, down in [*edges, *implicit]:
        downstream.setdefault(up, set()).add(down)
    out: list[Diagnostic] = []
    # One search per (teardown, setup) pair only when there is a cycle at all (an error case):
    # an acyclic graph, the usual one, costs one linear pass.
    for tid, task in tasks.items():
        for index, name in enumerate(setups_of(task)):
            if cyclic and name in tasks and name != tid and _reaches(downstream, tid, name):
                out.append(
                    doc.diagnostic(
                        ("tasks", tid, "teardown", "setups", index),
                        "DF304",
                        f"setup {name!r} is downstream of its teardown {tid!r}: as_teardown(setups=...) "
                        "makes a setup upstream of its teardown, a cycle",
                        hint=f"a setup runs before the tasks it serves and {tid!r} after them: "
                        "reverse the edges between them",
                    )
                )
    tree = group_tree(data)
    for sid, task in tasks.items():
        if not is_setup(task):
            continue
        for down in sorted(downstream.get(sid, ())):
            body = tasks.get(down, {})
            if isinstance(body.get("teardown"), dict):
                continue
            rule, path = _trigger_rule(data, tree.ancestors(tree.task_group.get(down)), down)
            if rule not in (None, "all_success"):
                out.append(
                    doc.diagnostic(
                        path,
                        "DF307",
                        f"task {down!r} runs right after setup {sid!r} with trigger_rule {rule!r}; "
                        "Airflow refuses a DAG where a setup is followed by anything but all_success",
                        key=path == ("tasks", down),
                        hint=f"give {down!r} `trigger_rule: all_success`, or put a task between them",
                    )
                )
    return out


def _reaches(downstream: dict[str, set[str]], start: str, goal: str) -> bool:
    todo, seen = [start], {start}
    while todo:
        for nxt in downstream.get(todo.pop(), ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _trigger_rule(data: dict[str, Any], groups: list[str], tid: str) -> tuple[Any, JsonPath]:
    """A task's trigger rule and where it is set: its own, its groups' default_args (innermost
    first), the DAG's default_args; (None, the task) when nothing sets it."""
    task = data["tasks"][tid]
    if "trigger_rule" in task:
        return task["trigger_rule"], ("tasks", tid, "trigger_rule")
    for gid in groups:
        args = (data.get("groups") or {}).get(gid, {}).get("default_args") or {}
        if "trigger_rule" in args:
            return args["trigger_rule"], ("groups", gid, "default_args", "trigger_rule")
    args = data.get("default_args")
    if isinstance(args, dict) and "trigger_rule" in args:
        return args["trigger_rule"], ("default_args", "trigger_rule")
    return None, ("tasks", tid)
