"""Lineage: asset URIs checked per spec, and the repo's graph of pipelines and assets.

Per spec, every asset (``lineage``, task ``inputs``/``outputs``, ``schedule.assets``) must be
an asset Airflow accepts and a URI another spec can match. Across specs, the compiler sees
the whole repo: it knows which pipeline writes what another reads, and reports what Airflow
cannot see (two writers of one asset, a schedule nobody triggers, pipelines feeding each
other in a loop). networkx is imported only when a cycle has to be named, so ``validate``
stays fast; this module never imports Jinja2 or Airflow.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypedDict

from dagfactory.check.graph import is_acyclic
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import Document, JsonPath

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_RESERVED_NAMES = ("self", "context")  # Airflow: "prohibited name for asset"
_MAX_IDENTIFIER = 1500  # Airflow's limit on an asset's uri and name


class Links(TypedDict):
    """One pipeline's neighbours by asset URI (keyword arguments of :class:`~dagfactory.model.Pipeline`)."""

    producers: dict[str, tuple[str, ...]]  # the other pipelines writing each asset it reads
    consumers: dict[str, tuple[str, ...]]  # the other pipelines reading each asset it writes


@dataclass(frozen=True)
class AssetUse:
    """One mention of an asset in a spec: where it is, and whether it is declared shared."""

    uri: str
    path: JsonPath
    shared: bool = False


@dataclass
class PipelineLineage:
    """What one pipeline reads (inputs, schedule triggers) and writes, first mention per URI."""

    dag_id: str
    doc: Document
    reads: dict[str, AssetUse] = field(default_factory=dict)
    writes: dict[str, AssetUse] = field(default_factory=dict)
    triggers: dict[str, AssetUse] = field(default_factory=dict)


def asset_mentions(data: dict[str, Any]) -> Iterator[tuple[str, JsonPath, Any]]:
    """Every asset in a spec as (role, path, value); role is "read", "write" or "trigger"."""
    lineage = data.get("lineage")
    if isinstance(lineage, dict):
        yield from _listed("read", ("lineage", "inputs"), lineage.get("inputs"))
        yield from _listed("write", ("lineage", "outputs"), lineage.get("outputs"))
    tasks = data.get("tasks")
    for task_id, task in tasks.items() if isinstance(tasks, dict) else ():
        if isinstance(task, dict):
            yield from _listed("read", ("tasks", task_id, "inputs"), task.get("inputs"))
            yield from _listed("write", ("tasks", task_id, "outputs"), task.get("outputs"))
    schedule = data.get("schedule")
    if isinstance(schedule, dict):
        yield from _listed("trigger", ("schedule", "assets"), schedule.get("assets"))


def _listed(role: str, path: JsonPath, values: Any) -> Iterator[tuple[str, JsonPath, Any]]:
    for index, value in enumerate(values if isinstance(values, list) else ()):
        yield role, (*path, index), value


def context_part(doc: Document) -> str:
    """What this spec contributes to the docs of *other* specs (its path, dag_id and lineage), as
    the hash of its JSON: :func:`dagfactory.emit.cache.context_fingerprint` hashes the project's
    parts, and a slim check result (and the cache) keeps its part instead of the tasks it was made from."""
    data = doc.data if isinstance(doc.data, dict) else {}
    tasks = data.get("tasks")
    if not isinstance(tasks, dict):
        tasks = {}
    part = [
        doc.path,
        data.get("dag_id"),
        data.get("lineage"),
        data.get("schedule") if isinstance(data.get("schedule"), dict) else None,
        [[t.get("inputs"), t.get("outputs")] for t in tasks.values() if isinstance(t, dict)],
    ]
    return hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()


def check_asset_uris(doc: Document) -> list[Diagnostic]:
    """Airflow's own rules for an Asset, plus a scheme so specs can match each other's URIs."""
    if not isinstance(doc.data, dict):
        return []
    out: list[Diagnostic] = []
    for _, path, value in asset_mentions(doc.data):
        uri = value.get("uri") if isinstance(value, dict) else value
        uri_path = (*path, "uri") if isinstance(value, dict) else path
        if isinstance(uri, str) and uri:
            problem = uri_problem(uri)
            if problem:
                out.append(doc.diagnostic(uri_path, "DF105", f"asset URI {uri!r} {problem[0]}", hint=problem[1]))
        name = value.get("name") if isinstance(value, dict) else None
        if isinstance(name, str) and name:
            name_issue = name_problem(name)
            if name_issue:
                hint = "write a readable name, or remove `name:` (the URI is the default)"
                out.append(doc.diagnostic((*path, "name"), "DF105", f"asset name {name!r} {name_issue}", hint=hint))
    return out


def uri_problem(uri: str) -> tuple[str, str] | None:
    """(what is wrong, what to do) for a URI Airflow would refuse or no other spec could match."""
    if uri.isspace() or any(c.isspace() for c in uri):
        return "contains whitespace", "percent-encode spaces (%20) or use another separator"
    if len(uri) > _MAX_IDENTIFIER:
        return f"is longer than {_MAX_IDENTIFIER} characters", "Airflow refuses longer asset URIs"
    if not _SCHEME.match(uri):
        return "has no scheme", "write it as scheme://location, e.g. s3://bucket/key or postgres://host/db/schema/table"
    if uri.split(":", 1)[0].lower() == "airflow":
        return "uses the reserved scheme 'airflow'", "Airflow reserves airflow:// for itself: use another scheme"
    try:
        return _provider_problem(uri)
    except ValueError:  # urllib refuses it (e.g. a bad port or IPv6 literal)
        return "is not a valid URI", "write it as scheme://host/path"


# Schemes whose Airflow provider normalises and checks the URI when the DAG file loads:
# scheme -> (canonical scheme, default port, path parts, their names). A URI of the wrong
# shape makes the generated DAG fail to import wherever the provider is installed.
PROVIDER_SCHEMES: dict[str, tuple[str, int | None, int, str]] = {
    "postgres": ("postgres", 5432, 3, "database/schema/table"),
    "postgresql": ("postgres", 5432, 3, "database/schema/table"),
    "mysql": ("mysql", 3306, 2, "database/table"),
    "mariadb": ("mysql", 3306, 2, "database/table"),
    "s3": ("s3", None, 0, ""),
}


def _provider_problem(uri: str) -> tuple[str, str] | None:
    parsed = urllib.parse.urlsplit(uri)
    rule = PROVIDER_SCHEMES.get(parsed.scheme.lower())
    if rule is None:
        return None
    canonical, _, parts, names = rule
    if not parsed.netloc:
        return f"has no host (or bucket) after {parsed.scheme}://", f"e.g. {canonical}://host/{names or 'key'}"
    if parts and len(parsed.path.rstrip("/").split("/")) != parts + 1:
        example = f"{canonical}://{parsed.netloc}/{names}"
        words = names.replace("/", ", ").rsplit(", ", 1)
        return f"must name the {' and '.join(words)} after the host", f"Airflow's provider requires e.g. {example}"
    return None


def normalized_uri(uri: str) -> str:
    """The URI as Airflow stores it (lower-case scheme, no trailing slash or fragment, the
    provider's default port), so two specs spelling one asset differently still match."""
    parsed = urllib.parse.urlsplit(uri)
    if not parsed.scheme:
        return uri
    scheme = parsed.scheme.lower()
    canonical, port, _, _ = PROVIDER_SCHEMES.get(scheme, (scheme, None, 0, ""))
    netloc = parsed.netloc.rpartition("@")[2]
    if port is not None and netloc and parsed.port is None:
        netloc = f"{netloc.rstrip(':')}:{port}"
    query = urllib.parse.urlencode(sorted(urllib.parse.parse_qsl(parsed.query))) if parsed.query else ""
    return urllib.parse.urlunsplit((canonical, netloc, parsed.path.rstrip("/") or "/", query, ""))


def name_problem(name: str) -> str | None:
    if name.isspace():
        return "is blank"
    if name in _RESERVED_NAMES:
        return "is reserved by Airflow (self and context are not allowed)"
    if len(name) > _MAX_IDENTIFIER:
        return f"is longer than {_MAX_IDENTIFIER} characters"
    return None


def pipeline_lineage(doc: Document, dag_id: str) -> PipelineLineage:
    result = PipelineLineage(dag_id, doc)
    for role, path, value in asset_mentions(doc.data if isinstance(doc.data, dict) else {}):
        uri = value.get("uri") if isinstance(value, dict) else value
        if not isinstance(uri, str):
            continue
        shared = isinstance(value, dict) and value.get("shared") is True
        target = {"read": result.reads, "write": result.writes, "trigger": result.triggers}[role]
        try:
            key = normalized_uri(uri)
        except ValueError:  # reported by check_asset_uris
            key = uri
        target.setdefault(key, AssetUse(uri, path, shared))
    return result


@dataclass
class RepoLineage:
    """The whole repo's lineage: who writes and who reads each asset URI, in spec order."""

    pipelines: list[PipelineLineage]
    writers: dict[str, list[PipelineLineage]] = field(default_factory=dict)
    readers: dict[str, list[PipelineLineage]] = field(default_factory=dict)
    by_id: dict[str, PipelineLineage] = field(default_factory=dict)  # the first pipeline of each dag_id

    def __post_init__(self) -> None:
        for p in self.pipelines:
            self.by_id.setdefault(p.dag_id, p)
            for uri in p.writes:
                self.writers.setdefault(uri, []).append(p)
            for uri in {**p.reads, **p.triggers}:
                self.readers.setdefault(uri, []).append(p)

    def producers(self, uri: str, exclude: str | None = None) -> list[str]:
        return [p.dag_id for p in self.writers.get(uri, []) if p.dag_id != exclude]

    def consumers(self, uri: str, exclude: str | None = None) -> list[str]:
        return [p.dag_id for p in self.readers.get(uri, []) if p.dag_id != exclude]

    def links(self, dag_id: str) -> Links:
        """For one pipeline: the other pipelines producing each asset it reads, and consuming
        each asset it writes (the keyword arguments of :class:`~dagfactory.model.Pipeline`)."""
        mine = self.by_id.get(dag_id)  # looked up, not searched: every spec asks once
        if mine is None:
            return {"producers": {}, "consumers": {}}
        reads = [*mine.reads, *mine.triggers]
        return {
            "producers": {u: tuple(self.producers(u, dag_id)) for u in reads if self.producers(u, dag_id)},
            "consumers": {u: tuple(self.consumers(u, dag_id)) for u in mine.writes if self.consumers(u, dag_id)},
        }

    def assets(self) -> list[str]:
        """Every URI, in order of first mention."""
        return list(dict.fromkeys(u for p in self.pipelines for u in [*p.reads, *p.triggers, *p.writes]))

    def pipeline_edges(self) -> dict[tuple[str, str], str]:
        """(writer, reader) -> the first asset linking them. A pipeline reading what it writes is
        no loop, unless it is *scheduled* on it: then each run triggers the next, forever."""
        edges: dict[tuple[str, str], str] = {}
        for reader in self.pipelines:
            for uri in [*reader.triggers, *reader.reads]:
                for writer in self.writers.get(uri, []):
                    if writer.dag_id != reader.dag_id or uri in reader.triggers:
                        edges.setdefault((writer.dag_id, reader.dag_id), uri)
        return edges


def check_repo(repo: RepoLineage) -> dict[str, list[Diagnostic]]:
    """Cross-spec findings, by spec path: DF701 two writers, DF702 untriggered schedule, DF703 loop."""
    found: dict[str, list[Diagnostic]] = {p.doc.path: [] for p in repo.pipelines}
    for uri, writers in repo.writers.items():
        if len(writers) > 1 and not all(w.writes[uri].shared for w in writers):
            first = writers[0]
            for other in writers[1:]:
                message = f"asset {uri!r} is also written by {first.dag_id!r} ({first.doc.path})"
                hint = "give each pipeline its own asset, or add `shared: true` to it in every spec that writes it"
                found[other.doc.path].append(other.doc.diagnostic(other.writes[uri].path, "DF701", message, hint=hint))
    for p in repo.pipelines:
        for uri, use in p.triggers.items():
            if not repo.writers.get(uri):
                message = f"the schedule waits for asset {uri!r}, which no spec in this repo writes"
                hint = "add it to the producing spec's `lineage.outputs`, or check the URI for a typo"
                found[p.doc.path].append(p.doc.diagnostic(use.path, "DF702", message, severity="warning", hint=hint))
    for cycle in pipeline_cycles(repo):
        _report_cycle(repo, cycle, found)
    return found


def pipeline_cycles(repo: RepoLineage) -> list[list[tuple[str, str, str]]]:
    """One cycle per strongly connected group of pipelines, as (writer, asset, reader) steps."""
    edges = repo.pipeline_edges()
    if is_acyclic((p.dag_id for p in repo.pipelines), edges):
        return []
    import networkx as nx  # only a repo whose pipelines feed each other in a loop gets here

    graph = nx.DiGraph(list(edges))
    order = {p.dag_id: i for i, p in enumerate(repo.pipelines)}
    cycles = []
    for group in nx.strongly_connected_components(graph):
        start = min(group, key=order.__getitem__)
        if len(group) == 1 and not graph.has_edge(start, start):
            continue
        steps = nx.find_cycle(graph.subgraph(group), source=start)
        cycles.append([(up, edges[(up, down)], down) for up, down in steps])
    return sorted(cycles, key=lambda c: order[c[0][0]])


def _report_cycle(repo: RepoLineage, cycle: list[tuple[str, str, str]], found: dict[str, list[Diagnostic]]) -> None:
    text = cycle[0][0] + "".join(f" -[{uri}]-> {down}" for _, uri, down in cycle)
    by_id = {p.dag_id: p for p in repo.pipelines}
    for _, uri, down in cycle:  # at each reader's mention of the asset that closes the loop
        reader = by_id[down]
        use = reader.triggers.get(uri) or reader.reads[uri]
        message = f"pipelines form a cycle through assets: {text}"
        hint = "a pipeline cannot depend, through the data it reads, on its own output"
        found[reader.doc.path].append(reader.doc.diagnostic(use.path, "DF703", message, hint=hint))


def topological_order(task_ids: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Tasks in dependency order; among tasks ready at the same time, spec order wins."""
    position = {t: i for i, t in enumerate(task_ids)}
    waiting = dict.fromkeys(task_ids, 0)
    downstream: dict[str, list[str]] = {t: [] for t in task_ids}
    for up, down in dict.fromkeys(edges):
        waiting[down] += 1
        downstream[up].append(down)
    ready = [position[t] for t in task_ids if waiting[t] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        task = task_ids[heapq.heappop(ready)]
        order.append(task)
        for down in downstream[task]:
            waiting[down] -= 1
            if waiting[down] == 0:
                heapq.heappush(ready, position[down])
    placed = set(order)  # once: a set per task would make this quadratic
    return order + [t for t in task_ids if t not in placed]  # a cycle (reported elsewhere): keep the rest
