"""The one entry to every rule: :func:`check_project` checks a set of spec files, each spec
alone (schema, values, semantics, graph, secrets, Airflow target, project policy) and then
against each other (unique dag_ids and outputs, module names, pools, lineage).

Imports neither Jinja2 nor Airflow: it is all ``dagfactory validate`` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dagfactory.check.branching import check_branches
from dagfactory.check.graph import TaskGraph, build_graph
from dagfactory.check.lineage import RepoLineage, check_asset_uris, check_repo, pipeline_lineage
from dagfactory.check.policy import policy_diagnostics, promote_warnings
from dagfactory.check.pools import check_pools
from dagfactory.check.shadowing import imported_packages, shadow_diagnostic, taken_names
from dagfactory.diagnostics import Diagnostic, has_errors
from dagfactory.load.config import Config
from dagfactory.load.defaults import SharedDefaults
from dagfactory.load.discover import SpecFile, file_roots
from dagfactory.load.document import Document, JsonPath, NodeInfo, collector_paused, load_file
from dagfactory.targets import target


class Restorer(Protocol):
    """Where earlier work on an unchanged spec can come from (the compile cache)."""

    def restore(
        self, display: str, path: Path, defaults: list[Path], positions: Callable[[], dict[JsonPath, NodeInfo]]
    ) -> tuple[Document, list[Diagnostic]] | None: ...


@dataclass
class SpecResult:
    """One spec, checked: its document (data and positions) and what is wrong with it."""

    spec: SpecFile
    own: list[Diagnostic] = field(default_factory=list)  # found in this spec alone: what a cache may keep
    diagnostics: list[Diagnostic] = field(default_factory=list)  # own and project-wide, one per (code, place)
    document: Document | None = None
    graph: TaskGraph | None = None
    restored: bool = False  # document and own diagnostics came from the incremental-compile cache

    @property
    def ok(self) -> bool:
        return self.document is not None and isinstance(self.document.data, dict) and not has_errors(self.diagnostics)


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
    done: Callable[[SpecResult], None] | None = None,
) -> CheckedProject:
    """Check every spec alone, then all of them together. A spec whose inputs are unchanged since
    ``restore`` saw them is not checked alone again (its own findings are restored); the
    project-wide rules always run afresh, since other specs may have changed. ``done`` is called
    with each spec's result as soon as it is checked alone (a progress display)."""
    defaults = SharedDefaults(config.specs, config.include_roots)
    results = []
    for spec in specs:
        with collector_paused():
            results.append(check_spec(spec, config, restore, defaults))
        if done is not None:
            done(results[-1])
    _check_unique(results)
    _check_module_names(results)
    _check_pools(results)
    lineage = _check_lineage(results)
    for result in results:
        found = promote_warnings(result.diagnostics) if config.warnings_as_errors else result.diagnostics
        result.diagnostics = unique(found)
    return CheckedProject(results, lineage)


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


def _check_alone(spec: SpecFile, config: Config, restore: Restorer | None, defaults: SharedDefaults) -> SpecResult:
    result = SpecResult(spec)
    restored = None
    if restore is not None and not spec.escapes:
        restored = restore.restore(
            spec.display, spec.path, defaults.files(spec.path), positions=lambda: _positions(spec, defaults)
        )
    if restored is not None:
        result.document, result.own = restored[0], list(restored[1])
        result.document.file_roots = file_roots(spec, config)
        result.restored = True
        return result
    if spec.escapes:  # a link could make the compiler read (and echo into a DAG) any file
        message = "this spec is a symlink to a file outside the specs folder; refusing to read it"
        result.own.append(Diagnostic(spec.path.as_posix(), 1, 1, "DF001", message, hint="copy the file in"))
        return result
    from dagfactory.check.spec import check_document  # jsonschema: only when a spec needs checking

    doc, problems = load_file(spec.path, spec.display)
    result.own.extend(problems)
    if doc is None:
        return result
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
    documents = [r.document for r in results if r.document is not None and not has_errors(r.diagnostics)]
    taken = taken_names(set().union(*(imported_packages(d.data) for d in documents if isinstance(d.data, dict))))
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
