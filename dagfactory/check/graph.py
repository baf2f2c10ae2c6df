"""The task graph: parse edge chains, then find unknown tasks, self-loops and cycles.

A chain is task (or group) ids joined by ``>>``; one step may be a bracketed list
(``a >> [b, c] >> d``) that fans out or in. Two lists in a row are refused:
Airflow's ``>>`` cannot join a list to a list. An edge may also be a mapping
``{from, to, label}``: one labelled edge.

A group in an edge stands for its tasks, as Airflow expands it when the line runs:
``x >> G`` makes x upstream of G's roots, ``G >> y`` G's leaves upstream of y, where
roots and leaves are judged by the edges set so far. The graph's ``edges`` are those
task-to-task edges, so everything downstream of the checks sees plain tasks.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dagfactory.check.groups import GroupTree, group_tree
from dagfactory.check.references import reference_edges
from dagfactory.check.schema import ID_CHARS
from dagfactory.check.teardown import check_teardown_graph, teardown_edges
from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.load.document import Document, JsonPath

_ID = re.compile(rf"{ID_CHARS}+")


@dataclass(frozen=True)
class Ref:
    """A task id as written in a chain, with its character offset in the chain string."""

    task_id: str  # or a group id
    offset: int
    key: str | None = None  # "from" or "to" in an edge mapping (offset 0)


Step = tuple[Ref, ...]  # one element, or the members of a bracketed list


@dataclass(frozen=True)
class Chain:
    index: int  # position in `edges:`
    steps: tuple[Step, ...]
    label: str | None = None  # an edge mapping's label

    def pairs(self) -> list[tuple[Ref, Ref]]:
        return [(up, down) for left, right in itertools.pairwise(self.steps) for up in left for down in right]


@dataclass(frozen=True)
class TaskGraph:
    chains: tuple[Chain, ...]
    edges: tuple[tuple[str, str], ...]  # task to task (groups expanded), unique, in source order
    labels: tuple[tuple[tuple[str, str], str], ...] = ()  # (up, down) task edge -> its label
    groups: frozenset[str] = frozenset()  # the ids in chains that are groups

    @cached_property
    def _label_of(self) -> dict[tuple[str, str], str]:
        return dict(self.labels)

    @cached_property
    def edge_set(self) -> frozenset[tuple[str, str]]:
        """:attr:`edges` as a set, for membership tests."""
        return frozenset(self.edges)

    def label(self, up: str, down: str) -> str | None:
        return self._label_of.get((up, down))


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


def _mapping_chain(index: int, item: dict[str, Any]) -> Chain:
    return Chain(index, ((Ref(item["from"], 0, "from"),), (Ref(item["to"], 0, "to"),)), item["label"])


def build_graph(doc: Document) -> tuple[TaskGraph, list[Diagnostic]]:
    """Parse `edges:` and check it against `tasks:` and `groups:`. Needs a schema-valid document."""
    data: dict[str, Any] = doc.data
    tasks = set(data.get("tasks") or {})
    group_ids = set(data.get("groups") or {}) - tasks  # a group named like a task: reported (DF305)
    tree = group_tree(data)
    names = sorted(tasks | group_ids)
    diagnostics: list[Diagnostic] = []
    chains: list[Chain] = []
    for index, item in enumerate(data.get("edges") or []):
        if isinstance(item, dict):
            chain = _mapping_chain(index, item)
        else:
            try:
                chain = Chain(index, parse_chain(item))
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
                if ref.task_id not in tasks and ref.task_id not in group_ids:
                    ok = False
                    what = "task or group" if group_ids else "task"
                    diagnostics.append(
                        _at(
                            doc,
                            index,
                            ref.offset,
                            "DF302",
                            f"unknown {what} {ref.task_id!r} in edge",
                            did_you_mean(ref.task_id, names) or f"name a {what} defined in this spec",
                            ref.key,
                        )
                    )
        if not ok:
            continue
        for up, down in chain.pairs():
            problem = _self_edge(up.task_id, down.task_id, tree, group_ids)
            if problem is not None:
                ok = False
                hint = "remove this edge: an edge runs between two different tasks or groups, outside each other"
                diagnostics.append(_at(doc, index, down.offset, "DF303", problem, hint, down.key))
        if ok:
            chains.append(chain)
    # References set their edges when the tasks are made, before any edge line runs.
    referenced = {edge: ref.path for edge, ref in reference_edges(data)}
    where, labels = _expand(chains, tree, group_ids, referenced)
    if not is_acyclic(tasks, where):
        diagnostics.extend(_cycles(doc, tasks, where))
    with_teardowns = is_acyclic(tasks, [*where, *teardown_edges(doc.data)])
    diagnostics.extend(check_teardown_graph(doc, where, cyclic=not with_teardowns))
    used = frozenset(r.task_id for c in chains for step in c.steps for r in step if r.task_id in group_ids)
    return TaskGraph(tuple(chains), tuple(where), tuple(labels.items()), used), diagnostics


def _self_edge(up: str, down: str, tree: GroupTree, group_ids: set[str]) -> str | None:
    """Why an edge from ``up`` to ``down`` joins a node to itself, or None."""
    if up == down:
        what = "group" if up in group_ids else "task"
        return f"{what} {up!r} depends on itself"
    for inner, outer in ((up, down), (down, up)):
        if outer not in group_ids:
            continue
        within = tree.ancestors(tree.task_group.get(inner)) if inner not in group_ids else tree.ancestors(inner)
        if outer in within:
            what = "group" if inner in group_ids else "task"
            return f"{what} {inner!r} is inside group {outer!r}: an edge between them joins the group to itself"
    return None


# task edge -> where first written: (chain, offset, key) in `edges:`, or the path of a reference
Where = dict[tuple[str, str], tuple[int, int, str | None] | JsonPath]


def _expand(
    chains: list[Chain], tree: GroupTree, group_ids: set[str], referenced: dict[tuple[str, str], JsonPath]
) -> tuple[Where, dict[tuple[str, str], str]]:
    """The task-to-task edges the references and then the chains make in Airflow, line by line,
    groups expanded to their roots (downstream side) and leaves (upstream side) as they are when
    each line runs."""
    where: Where = dict(referenced)
    labels: dict[tuple[str, str], str] = {}
    upstream: dict[str, set[str]] = {}
    downstream: dict[str, set[str]] = {}
    for u, d in referenced:
        downstream.setdefault(u, set()).add(d)
        upstream.setdefault(d, set()).add(u)
    members = {g: tree.members(g) for g in group_ids}

    def ends(node: str, leaves: bool) -> list[str]:
        if node not in group_ids:
            return [node]
        inside = set(members[node])
        links = downstream if leaves else upstream
        return [t for t in members[node] if not links.get(t, set()) & inside]

    for chain in chains:
        for left, right in itertools.pairwise(chain.steps):
            pairs = [
                (u, d, ref)
                for up in left
                for ref in right
                for u in ends(up.task_id, True)
                for d in ends(ref.task_id, False)
            ]
            for u, d, ref in pairs:
                where.setdefault((u, d), (chain.index, ref.offset, ref.key))  # a referenced edge: kept
                downstream.setdefault(u, set()).add(d)
                upstream.setdefault(d, set()).add(u)
                if chain.label is not None:
                    labels[(u, d)] = chain.label
    return where, labels


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


def _cycles(doc: Document, tasks: set[str], where: Where) -> list[Diagnostic]:
    """Report each cycle once, at the edge (latest in the file) that closes it."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(tasks))
    for rank, ((up, down), written) in enumerate(where.items()):
        # A cycle is reported at a reference it goes through (the last one written), else at
        # the chain edge written last.
        order = (1, rank, 0) if _is_reference_path(written) else (0, *written[:2])
        graph.add_edge(up, down, written=written, order=order)
    found: list[Diagnostic] = []
    while not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        closing = max(cycle, key=lambda e: graph.edges[e]["order"])
        start = cycle.index(closing)
        ordered = cycle[start + 1 :] + cycle[: start + 1]
        path = " -> ".join([ordered[0][0]] + [v for _, v in ordered])
        written = graph.edges[closing]["written"]
        message, hint = f"cycle in task graph: {path}", "remove one of these dependencies"
        if _is_reference_path(written):
            hint = f"a reference makes {closing[0]!r} upstream of {closing[1]!r}: " + hint
            found.append(doc.diagnostic((*written, "xcom"), "DF304", message, hint=hint))
        else:
            chain, offset, key = written
            found.append(_at(doc, chain, offset, "DF304", message, hint, key))
        graph.remove_edge(*closing)
    return found


def _is_reference_path(written: tuple[Any, ...]) -> bool:
    return bool(written) and written[0] == "tasks"


def _at(
    doc: Document, index: int, offset: int, code: str, message: str, hint: str | None = None, key: str | None = None
) -> Diagnostic:
    """A diagnostic at a character of edge chain ``index`` (exact for unquoted one-line chains),
    or at the ``from``/``to`` value of an edge mapping."""
    if key is not None:
        return doc.diagnostic(("edges", index, key), code, message, hint=hint)
    info = doc.nodes.get(("edges", index))
    pos = doc.position(("edges", index))
    column = pos.column + offset if info is not None and info.plain_scalar else pos.column
    return Diagnostic(doc.path, pos.line, column, code, message, hint=hint)
