"""The one entry to every rule: :func:`check_project` checks a set of spec files, each spec
alone (schema, values, semantics, graph, secrets, Airflow target, project policy) and then
against each other (unique dag_ids and outputs, module names, pools, lineage).

Two ways to run it, with the same findings in the same order:

* whole (the default, for callers that go on to use the documents): every
  :class:`SpecResult` keeps its document, positions and task graph;
* ``slim=True`` (``validate`` and ``compile``): each spec is checked alone, by
  :func:`check_alone`, in this process or, with ``jobs`` > 1 and enough specs, in worker
  processes (:mod:`dagfactory.check.jobs`); its document is then cut down to what the
  cross-spec rules read (:func:`slimmed`: dag_id, pools, lineage, with the positions of those
  values only, and the packages its DAG imports) and the rest is released at once. Only
  these summaries reach this process, and the cross-spec rules run on them here, unchanged:
  memory grows with a few hundred bytes per spec, not with the specs' documents. A spec
  without an error alone also keeps a ``kit`` (its data and the files it embeds, pickled)
  from which :mod:`dagfactory.emit` renders it later without reading it again. A spec the
  cache restores comes as the same summary, which the cache kept (:mod:`dagfactory.check.summary`),
  with its whole data left in the cache, decoded only if it is rendered again.

``on_done`` is called in this process with each spec's result as it arrives, in spec order.

Imports neither Jinja2 nor Airflow: it is all ``dagfactory validate`` runs (its workers too).
"""

from __future__ import annotations

import os
import pickle
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dagfactory.check.branching import check_branches
from dagfactory.check.graph import TaskGraph, build_graph
from dagfactory.check.jobs import run_each
from dagfactory.check.lineage import RepoLineage, check_asset_uris, check_repo, context_part, pipeline_lineage
from dagfactory.check.policy import policy_diagnostics, promote_warnings
from dagfactory.check.pools import check_pools
from dagfactory.check.shadowing import imported_packages, shadow_diagnostic, taken_names
from dagfactory.check.summary import cross_spec_data, fields, positions_under
from dagfactory.diagnostics import Diagnostic, has_errors
from dagfactory.load.config import Config
from dagfactory.load.defaults import SharedDefaults
from dagfactory.load.discover import SpecFile, file_roots
from dagfactory.load.document import Document, JsonPath, NodeInfo, Source, collector_paused, load_file
from dagfactory.targets import target


@dataclass
class Restored:
    """A spec's own work, as the cache kept it."""

    document: Document  # whole; or, restored ``slim``, only what the cross-spec rules read
    diagnostics: list[Diagnostic]  # its own findings
    # restored slim: its summary (see dagfactory.check.summary) and how to get its whole data
    imports: frozenset[str] | None = None
    context: str | None = None
    data: Callable[[], Any] | None = None


class Restorer(Protocol):
    """Where earlier work on an unchanged spec can come from (the compile cache)."""

    def restore(
        self,
        display: str,
        path: Path,
        defaults: list[Path],
        positions: Callable[[], dict[JsonPath, NodeInfo]],
        *,
        slim: bool = False,
    ) -> Restored | None: ...


@dataclass
class SpecResult:
    """One spec, checked: its document (data and positions) and what is wrong with it."""

    spec: SpecFile
    own: list[Diagnostic] = field(default_factory=list)  # found in this spec alone: what a cache may keep
    diagnostics: list[Diagnostic] = field(default_factory=list)  # own and project-wide, one per (code, place)
    document: Document | None = None
    graph: TaskGraph | None = None
    restored: bool = False  # document and own diagnostics came from the incremental-compile cache
    # slim results (see the module docstring): the document holds only what the cross-spec rules
    # read, ``imports`` the packages its DAG imports, and ``kit`` what rendering it needs (when it
    # has no error alone and it was asked for); a restored one has ``data`` instead of a kit
    slim: bool = False
    imports: frozenset[str] | None = None
    kit: bytes | None = None
    context: str | None = None  # its part of the cache's context (see dagfactory.check.lineage.context_part)
    data: Callable[[], object] | None = field(default=None, repr=False)  # restored slim: its whole data, from the cache
    source: Source | None = field(default=None, repr=False)  # the bytes it was checked in (for the cache)

    @property
    def ok(self) -> bool:
        return self.document is not None and isinstance(self.document.data, dict) and not has_errors(self.diagnostics)

    def summary(self) -> dict[str, Any] | None:
        """The summary the cache keeps of this spec (:func:`dagfactory.check.summary.fields`), when
        this slim result holds it already; None: the cache makes it from the whole document."""
        doc, imports, context = self.document, self.imports, self.context
        if not self.slim or doc is None or not isinstance(doc.data, dict) or imports is None or context is None:
            return None
        return fields(doc.data, imports, context)

    def whole_document(self) -> Document | None:
        """The spec's whole document: as checked, or for a slim result rebuilt from its kit or the
        cache's text (None when it has neither: it had an error alone, or no kit was asked for)."""
        doc = self.document
        if doc is None or not self.slim:
            return doc
        if self.data is not None:
            return Document(doc.path, self.data(), doc.nodes, doc.base_dir, doc.inputs, doc.file_roots)
        if self.kit is None:
            return None
        data, references = pickle.loads(zlib.decompress(self.kit))
        return Document(doc.path, data, {}, doc.base_dir, doc.inputs, doc.file_roots, references)


@dataclass
class CheckedProject:
    results: list[SpecResult]
    lineage: RepoLineage  # what every spec without an error reads and writes

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for r in self.results for d in r.diagnostics]

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def check_project(
    specs: list[SpecFile],
    config: Config = Config(),
    restore: Restorer | None = None,
    *,
    jobs: int = 1,
    slim: bool = False,
    kits: bool = False,
    on_done: Callable[[SpecResult], None] | None = None,
) -> CheckedProject:
    """Check every spec alone, then all of them together. A spec whose inputs are unchanged since
    ``restore`` saw them is not checked alone again (its own findings are restored); the
    project-wide rules always run afresh, since other specs may have changed.

    ``slim``: keep summaries only, and check specs alone in up to ``jobs`` processes; ``kits``:
    keep what rendering needs of each spec without an error alone (see the module docstring)."""
    defaults = SharedDefaults(config.specs, config.include_roots)
    if slim:
        results = list(_slim_results(specs, config, restore, defaults, jobs, kits, on_done))
    else:
        results = []
        for spec in specs:
            with collector_paused():
                results.append(check_spec(spec, config, restore, defaults))
            if on_done is not None:
                on_done(results[-1])
    _check_unique(results)
    _check_module_names(results)
    _check_pools(results)
    lineage = _check_lineage(results)
    for result in results:
        found = promote_warnings(result.diagnostics) if config.warnings_as_errors else result.diagnostics
        result.diagnostics = unique(found)
    return CheckedProject(results, lineage)


# The modules a worker checking specs alone needs (imported once, by the fork server).
CHECK_MODULES = ("dagfactory.check.project", "dagfactory.check.spec")


def _slim_results(
    specs: list[SpecFile],
    config: Config,
    restore: Restorer | None,
    defaults: SharedDefaults,
    jobs: int,
    kits: bool,
    on_done: Callable[[SpecResult], None] | None,
) -> Iterator[SpecResult]:
    """Each spec's slim result, in spec order: restored here from the cache (cheap: it hashes
    bytes), else checked alone by :func:`check_alone`, here or in worker processes."""
    restored = [_restored(spec, config, restore, defaults, slim=True) for spec in specs] if restore is not None else []
    token = os.urandom(8).hex()
    global _RUN
    _RUN = (token, defaults)  # checked in this process: the same shared defaults as the restored ones
    todo = [(spec, config, token, kits) for i, spec in enumerate(specs) if not restored or restored[i] is None]
    fresh = run_each(check_alone, todo, jobs, CHECK_MODULES)
    folders: dict[object, object] = {}
    try:
        for i in range(len(specs)):
            earlier = restored[i] if restored else None
            result = earlier if earlier is not None else _shared(next(fresh), specs[i], folders)
            if on_done is not None:
                on_done(result)
            yield result
    finally:
        fresh.close()
        _RUN = None


def _shared(result: SpecResult, spec: SpecFile, folders: dict[object, object]) -> SpecResult:
    """``result`` (a copy that came through pickle) naming the one ``spec`` object and, for the
    folders its document names, one object per folder: ten thousand specs share a few."""
    result.spec = spec
    doc = result.document
    if doc is not None:
        doc.base_dir = folders.setdefault(doc.base_dir, doc.base_dir)  # type: ignore[assignment]
        doc.file_roots = folders.setdefault(doc.file_roots, doc.file_roots)  # type: ignore[assignment]
        doc.inputs = folders.setdefault(doc.inputs, doc.inputs)  # type: ignore[assignment]
    return result


_RUN: tuple[str, SharedDefaults] | None = None  # this run's shared defaults, in a worker or here


def check_alone(job: tuple[SpecFile, Config, str, bool]) -> SpecResult:
    """Check one spec alone and return its slim result (what a worker does, once per spec)."""
    global _RUN
    spec, config, token, kit = job
    if _RUN is None or _RUN[0] != token:  # a worker's first spec of this run
        _RUN = (token, SharedDefaults(config.specs, config.include_roots))
    with collector_paused():
        return slimmed(check_spec(spec, config, None, _RUN[1]), kit=kit)


def slimmed(result: SpecResult, *, kit: bool = False) -> SpecResult:
    """``result`` with its document cut down to what the cross-spec rules read (and, with ``kit``,
    what rendering needs, when the spec has no error alone); the rest can be released."""
    doc = result.document
    small = SpecResult(result.spec, result.own, list(result.diagnostics), restored=result.restored, slim=True)
    small.source = result.source
    if doc is None:
        return small
    data = doc.data
    if isinstance(data, dict) and not has_errors(result.diagnostics):
        small.imports = frozenset(imported_packages(data))
    kept = cross_spec_data(data) if isinstance(data, dict) else None
    nodes = positions_under(kept, doc.nodes)
    small.document = Document(doc.path, kept, nodes, doc.base_dir, doc.inputs, doc.file_roots)
    small.context = context_part(doc)
    if kit and result.ok:
        small.kit = zlib.compress(pickle.dumps((data, doc.references), protocol=pickle.HIGHEST_PROTOCOL), 1)
    return small


def unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One report per problem: the first of those with the same code at the same place."""
    seen: set[tuple[str, str, int, int]] = set()
    kept = []
    for d in diagnostics:
        identity = (d.code, d.path, d.line, d.column)
        if identity not in seen:
            seen.add(identity)
            kept.append(d)
    return kept


def check_spec(
    spec: SpecFile,
    config: Config = Config(),
    restore: Restorer | None = None,
    defaults: SharedDefaults | None = None,
) -> SpecResult:
    """Load, validate and analyse one spec file alone (or restore that work)."""
    defaults = defaults if defaults is not None else SharedDefaults(config.specs, config.include_roots)
    result = _check_alone(spec, config, restore, defaults)
    result.diagnostics = list(result.own)
    return result


def _restored(
    spec: SpecFile, config: Config, restore: Restorer | None, defaults: SharedDefaults, *, slim: bool = False
) -> SpecResult | None:
    """The spec's result as ``restore`` kept it, when its inputs are unchanged; else None. ``slim``:
    a slim result (see the module docstring) made of the summary the cache kept."""
    if restore is None or spec.escapes:
        return None
    kept = restore.restore(
        spec.display, spec.path, defaults.files(spec.path, spec.linked), lambda: _positions(spec, defaults), slim=slim
    )
    if kept is None:
        return None
    kept.document.file_roots = file_roots(spec, config)
    result = SpecResult(spec, list(kept.diagnostics), list(kept.diagnostics), kept.document, restored=True)
    if slim:
        result.slim, result.imports, result.context, result.data = True, kept.imports, kept.context, kept.data
    return result


def _check_alone(spec: SpecFile, config: Config, restore: Restorer | None, defaults: SharedDefaults) -> SpecResult:
    restored = _restored(spec, config, restore, defaults)
    if restored is not None:
        return restored
    result = SpecResult(spec)
    if spec.escapes:  # a link could make the compiler read (and echo into a DAG) any file
        message = "this spec is a symlink to a file outside the specs folder; refusing to read it"
        result.own.append(Diagnostic(spec.path.as_posix(), 1, 1, "DF001", message, hint="copy the file in"))
        return result
    from dagfactory.check.spec import check_document  # jsonschema: only when a spec needs checking

    doc, problems = load_file(spec.path, spec.display)
    result.own.extend(problems)
    if doc is None:
        return result
    result.source = doc.source
    doc = defaults.apply(doc, spec, result.own)
    doc.file_roots = file_roots(spec, config)
    result.document = doc
    result.own.extend(check_document(doc, target(config.airflow)))
    result.own.extend(policy_diagnostics(doc, config))
    result.own.extend(check_asset_uris(doc))
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("tasks"), dict) and _edges_are_strings(data.get("edges")):
        result.graph, problems = build_graph(doc)
        result.own.extend(problems)
        result.own.extend(check_branches(doc, result.graph, complete=not any(d.is_error for d in problems)))
    return result


def _positions(spec: SpecFile, defaults: SharedDefaults) -> dict[JsonPath, NodeInfo]:
    """Where each value of a restored spec is written: its files are unchanged (the cache
    checked their bytes), so loading them again gives the positions the first check saw."""
    doc, _ = load_file(spec.path, spec.display)
    return defaults.apply(doc, spec, []).nodes if doc is not None else {}


def _edges_are_strings(edges: object) -> bool:
    """Whether every edge is a chain string or a mapping with string ``from``, ``to`` and ``label``."""
    return edges is None or (isinstance(edges, list) and all(isinstance(e, str) or _edge_mapping(e) for e in edges))


def _edge_mapping(edge: object) -> bool:
    return isinstance(edge, dict) and all(isinstance(edge.get(k), str) for k in ("from", "to", "label"))


def _check_unique(results: list[SpecResult]) -> None:
    """Two specs may not claim the same dag_id (Airflow would keep only one), nor the same
    output file (``x.yaml`` and ``x.yml``; or ``X.yaml`` and ``x.yaml``, one file on the
    case-insensitive file systems of macOS and Windows): the later one is reported."""
    seen: dict[str, SpecResult] = {}
    outputs: dict[str, SpecResult] = {}
    for result in results:
        doc = result.document
        if doc is None or not isinstance(doc.data, dict) or has_errors(result.diagnostics):
            continue
        output = result.spec.output_relative.as_posix()
        first_output = outputs.setdefault(output.casefold(), result)
        if first_output is not result:
            shown = first_output.spec.display
            message = f"this spec compiles to {output}, as {shown} does"
            hint = "rename one of the two spec files (the output file is named after the spec)"
            result.diagnostics.append(doc.diagnostic((), "DF402", message, hint=hint))
            continue
        dag_id = doc.data.get("dag_id") or result.spec.relative.stem
        if dag_id in seen:
            first = seen[dag_id].spec.display
            path = ("dag_id",) if "dag_id" in doc.data else ()
            result.diagnostics.append(
                doc.diagnostic(
                    path, "DF402", f"dag_id {dag_id!r} is already used by {first}", hint="set a unique `dag_id:`"
                )
            )
        else:
            seen[dag_id] = result


def _check_module_names(results: list[SpecResult]) -> None:
    """No output file may shadow a module the DAGs import (see :mod:`dagfactory.check.shadowing`)."""
    imported: set[str] = set()
    for result in results:
        doc = result.document
        if doc is None or has_errors(result.diagnostics):
            continue
        if result.imports is not None:  # slim: counted when the whole document was at hand
            imported |= result.imports
        elif isinstance(doc.data, dict):
            imported |= imported_packages(doc.data)
    taken = taken_names(imported)
    for result in results:
        found = shadow_diagnostic(result.spec.display, result.spec.output_relative, taken)
        if found is not None:
            result.diagnostics.append(found)


def _check_pools(results: list[SpecResult]) -> None:
    """Pools are project-wide: a task's pool may be declared by any spec (see :mod:`dagfactory.check.pools`)."""
    valid = [(r, r.document) for r in results if r.document is not None and not has_errors(r.diagnostics)]
    found = check_pools([doc for _, doc in valid])
    for result, doc in valid:
        result.diagnostics += found[doc.path]


def _check_lineage(results: list[SpecResult]) -> RepoLineage:
    """Lineage is repo-wide (see :mod:`dagfactory.check.lineage`)."""
    repo = repo_lineage(results)
    found = check_repo(repo)
    for result in results:
        if result.document is not None:
            result.diagnostics += found.get(result.document.path, [])
    return repo


def repo_lineage(results: list[SpecResult]) -> RepoLineage:
    """What every error-free spec reads and writes, in spec order."""
    named = []
    for result in results:
        doc = result.document
        if doc is not None and isinstance(doc.data, dict) and not has_errors(result.diagnostics):
            named.append(pipeline_lineage(doc, doc.data.get("dag_id") or result.spec.relative.stem))
    return RepoLineage(named)
