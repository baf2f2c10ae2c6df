"""The order a DAG file states its tasks in when references need it: a task whose result
another task takes (``{xcom: ...}``) must be defined first, since the call names its variable."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from dagfactory.model import Group, Task


@dataclass(frozen=True)
class Reenter:
    """A group's block opened again (``with extract:``): a reference made a task outside it
    come between two of its tasks."""

    group_id: str


def reference_order(
    layout: list[tuple[int, Task | Group]], all_groups: tuple[Group, ...]
) -> list[tuple[int, Task | Group | Reenter]]:
    """``layout``, unless a task comes before a task whose result it takes (a reference): then
    the tasks in an order that defines every referenced task first (the layout's order where
    the references allow it), each group's block opened where its next task stands and opened
    again (``with group:``) when a task outside it had to come between."""
    tasks = [node for _, node in layout if isinstance(node, Task)]
    position = {t.task_id: i for i, t in enumerate(tasks)}
    needs = {t.task_id: {x.source for x in t.xcoms} - {t.task_id} for t in tasks}
    if all(position[s] < position[t] for t, sources in needs.items() for s in sources):
        return list(layout)
    waiting = {tid: len(sources) for tid, sources in needs.items()}
    users: dict[str, list[str]] = {}
    for tid, sources in needs.items():
        for source in sources:
            users.setdefault(source, []).append(tid)
    ready = [position[tid] for tid, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[Task] = []
    while ready:
        task = tasks[heapq.heappop(ready)]
        order.append(task)
        for user in users.get(task.task_id, []):
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, position[user])
    groups = {g.group_id: g for g in all_groups}
    out: list[tuple[int, Task | Group | Reenter]] = []
    open_: list[str] = []  # the groups whose blocks hold the current line, outermost first
    entered: set[str] = set()
    for task in order:
        chain: list[str] = []
        group = task.group
        while group is not None:
            chain.insert(0, group)
            group = groups[group].parent
        common = 0
        while common < min(len(open_), len(chain)) and open_[common] == chain[common]:
            common += 1
        del open_[common:]
        for gid in chain[common:]:
            out.append((1 + len(open_), groups[gid] if gid not in entered else Reenter(gid)))
            entered.add(gid)
            open_.append(gid)
        out.append((1 + len(open_), task))
    return out
