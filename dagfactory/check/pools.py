"""Airflow pools across a project: which pools specs declare, and which tasks name an undeclared one.

Pools live in Airflow's metadata database, not in DAG files, so a task whose
``pool:`` nobody created is queued forever ("pool does not exist"). Specs
declare the pools they use under ``pools:``; the compiler checks every task's
pool against the declarations of *all* specs (a pool is shared project-wide),
and ``dagfactory requirements --pools`` prints the commands that create them.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import Document

# Every Airflow installation has this pool; tasks without `pool:` use it.
DEFAULT_POOL = "default_pool"
POOL_CODE = "DF206"  # inconsistent settings


@dataclass(frozen=True)
class Pool:
    name: str
    slots: int
    description: str = ""

    def command(self) -> str:
        """The shell line that creates (or resizes) this pool, safe to paste whatever the values hold:
        quoted for the shell, and after ``--`` so a name or description such as ``--help`` or ``-rf``
        is never taken for an option of ``airflow``."""
        words = ["airflow pools set --", shlex.quote(self.name), str(self.slots), shlex.quote(self.description)]
        return " ".join(words)


def declared_pools(data: dict[str, Any]) -> list[Pool]:
    """The ``pools:`` mapping of one validated spec, in spec order."""
    pools = data.get("pools") or {}
    return [Pool(name, body["slots"], body.get("description") or "") for name, body in pools.items()]


def pool_commands(pools: Iterable[Pool]) -> list[str]:
    """One ``airflow pools set`` line per pool, sorted by name, each pool once."""
    unique = {pool.name: pool for pool in pools}
    return [unique[name].command() for name in sorted(unique)]


def _pool_uses(data: dict[str, Any]) -> Iterable[tuple[tuple[str | int, ...], str]]:
    """(spec path, pool name) of every `pool:` a task, the spec's or a group's default_args names."""
    default_args = data.get("default_args")
    if isinstance(default_args, dict) and isinstance(default_args.get("pool"), str):
        yield ("default_args", "pool"), default_args["pool"]
    groups = data.get("groups")
    for group_id, group in groups.items() if isinstance(groups, dict) else ():
        args = group.get("default_args") if isinstance(group, dict) else None
        if isinstance(args, dict) and isinstance(args.get("pool"), str):
            yield ("groups", group_id, "default_args", "pool"), args["pool"]
    tasks = data.get("tasks")
    for task_id, task in tasks.items() if isinstance(tasks, dict) else ():
        if isinstance(task, dict) and isinstance(task.get("pool"), str):
            yield ("tasks", task_id, "pool"), task["pool"]


def check_pools(documents: list[Document]) -> dict[str, list[Diagnostic]]:
    """Diagnostics per document path: undeclared pools (warnings), conflicting declarations (errors).

    Only documents that passed validation should be given: ``pools:`` is read as the schema allows it.
    """
    found: dict[str, list[Diagnostic]] = {doc.path: [] for doc in documents}
    declared: dict[str, tuple[Pool, Document]] = {}
    for doc in documents:
        for pool in declared_pools(doc.data):
            first = declared.setdefault(pool.name, (pool, doc))
            if first[0] != pool:
                message = f"pool {pool.name!r} is declared differently in {first[1].path}"
                hint = "declare each pool with the same slots and description everywhere, or in one spec only"
                found[doc.path].append(doc.diagnostic(("pools", pool.name), POOL_CODE, message, key=True, hint=hint))
    for doc in documents:
        for path, name in _pool_uses(doc.data):
            if name != DEFAULT_POOL and name not in declared:
                message = f"pool {name!r} is not declared in any spec; Airflow queues its tasks until it exists"
                hint = f"declare it: `pools: {{{name}: {{slots: N}}}}`, then run `dagfactory requirements --pools`"
                found[doc.path].append(doc.diagnostic(path, POOL_CODE, message, severity="warning", hint=hint))
    return found
