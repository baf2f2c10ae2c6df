"""The task graph: parse edge chains, then find unknown tasks, self-loops and cycles.

A chain is task ids joined by ``>>``; one step may be a bracketed list
(``a >> [b, c] >> d``) that fans out or in. Two lists in a row are refused:
Airflow's ``>>`` cannot join a list to a list.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dagfactory.check.schema import ID_CHARS
from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.load.document import Document

_ID = re.compile(rf"{ID_CHARS}+")


@dataclass(frozen=True)
class Ref:
    """A task id as written in a chain, with its character offset in the chain string."""

    task_id: str
    offset: int


Step = tuple[Ref, ...]  # one element, or the members of a bracketed list


@dataclass(frozen=True)
class Chain:
    index: int  # position in `edges:`
    steps: tuple[Step, ...]

    def pairs(self) -> list[tuple[Ref, Ref]]:
        return [(up, down) for left, right in itertools.pairwise(self.steps) for up in left for down in right]


@dataclass(frozen=True)
class TaskGraph:
    chains: tuple[Chain, ...]
    edges: tuple[tuple[str, str], ...]  # unique, in source order


class ChainSyntaxError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def parse_chain(text: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    pos = 0
    for part in text.split(">>"):
        steps.append(_parse_step(part, pos))
        pos += len(part) + 2
    for left, right in itertools.pairwise(steps):
        if len(left) > 1 and len(right) > 1:
            raise ChainSyntaxError(
                "two bracketed lists cannot follow each other: Airflow's >> cannot join a list to a list",
                right[0].offset,
            )
    return tuple(steps)


def _parse_step(part: str, base: int) -> Step:
    stripped = part.strip()
    start = base + (len(part) - len(part.lstrip()))
    if not stripped:
        raise ChainSyntaxError("empty step in chain (a '>>' with nothing on one side)", start)
    if stripped.startswith("["):
        if not stripped.endswith("]"):
            raise ChainSyntaxError("unclosed '[' in chain", start)
        refs: list[Ref] = []
        inner_base = start + 1
        for item in stripped[1:-1].split(","):
            refs.append(_parse_id(item, inner_base))
            inner_base += len(item) + 1
        return tuple(refs)
    return (_parse_id(part, base),)


def _parse_id(text: str, base: int) -> Ref:
    stripped = text.strip()
    offset = base + (len(text) - len(text.lstrip()))
    if not _ID.fullmatch(stripped):
        what = "nothing" if not stripped else repr(stripped)
        raise ChainSyntaxError(f"expected a task id, found {what}", offset)
    return Ref(stripped, offset)


def build_graph(doc: Document) -> tuple[TaskGraph, list[Diagnostic]]:
    """Parse `edges:` and check it against `tasks:`. Needs a schema-valid document."""
    data: dict[str, Any] = doc.data
    tasks = set(data.get("tasks") or {})
    diagnostics: list[Diagnostic] = []
    chains: list[Chain] = []
    where: dict[tuple[str, str], tuple[int, int]] = {}  # edge -> (chain index, offset) where first written
    for index, text in enumerate(data.get("edges") or []):
        try:
            chain = Chain(index, parse_chain(text))
        except ChainSyntaxError as exc:
            diagnostics.append(
                _at(
                    doc,
                    index,
                    exc.offset,
                    "DF301",
                    f"malformed edge chain: {exc}",
                    "write task ids joined by >>, e.g. a >> [b, c] >> d",
                )
            )
            continue
        ok = True
        for step in chain.steps:
            for ref in step:
                if ref.task_id not in tasks:
                    ok = False
                    diagnostics.append(
                        _at(
                            doc,
                            index,
                            ref.offset,
                            "DF302",
                            f"unknown task {ref.task_id!r} in edge",
                            did_you_mean(ref.task_id, sorted(tasks)),
                        )
                    )
        for up, down in chain.pairs():
            if up.task_id == down.task_id:
                ok = False
                diagnostics.append(_at(doc, index, down.offset, "DF303", f"task {up.task_id!r} depends on itself"))
        if not ok:
            continue
        chains.append(chain)
        for up, down in chain.pairs():
            where.setdefault((up.task_id, down.task_id), (index, down.offset))
    if not is_acyclic(tasks, where):
        diagnostics.extend(_cycles(doc, tasks, where))
    return TaskGraph(tuple(chains), tuple(where)), diagnostics


def is_acyclic(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> bool:
    """Whether the directed graph has no cycle: the fast answer for the common case,
    from the standard library.

    Importing networkx costs more than validating a typical spec; it is loaded only
    when there is a cycle whose path needs reporting.
    """
    from graphlib import CycleError, TopologicalSorter

    sorter: TopologicalSorter[str] = TopologicalSorter(dict.fromkeys(nodes, ()))
    for up, down in edges:
        sorter.add(down, up)
    try:
        sorter.prepare()
    except CycleError:
        return False
    return True


def _cycles(doc: Document, tasks: set[str], where: dict[tuple[str, str], tuple[int, int]]) -> list[Diagnostic]:
    """Report each cycle once, at the edge (latest in the file) that closes it."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(tasks))
    for (up, down), (chain, offset) in where.items():
        graph.add_edge(up, down, chain=chain, offset=offset)
    found: list[Diagnostic] = []
    while not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        closing = max(cycle, key=lambda e: (graph.edges[e]["chain"], graph.edges[e]["offset"]))
        start = cycle.index(closing)
        ordered = cycle[start + 1 :] + cycle[: start + 1]
        path = " -> ".join([ordered[0][0]] + [v for _, v in ordered])
        attrs = graph.edges[closing]
        found.append(
            _at(
                doc,
                attrs["chain"],
                attrs["offset"],
                "DF304",
                f"cycle in task graph: {path}",
                "remove one of these dependencies",
            )
        )
        graph.remove_edge(*closing)
    return found


def _at(doc: Document, index: int, offset: int, code: str, message: str, hint: str | None = None) -> Diagnostic:
    """A diagnostic at a character of edge chain ``index`` (exact for unquoted one-line chains)."""
    info = doc.nodes.get(("edges", index))
    pos = doc.position(("edges", index))
    column = pos.column + offset if info is not None and info.plain_scalar else pos.column
    return Diagnostic(doc.path, pos.line, column, code, message, hint=hint)
