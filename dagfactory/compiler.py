"""The pipeline of stages for a set of spec files: load -> validate -> graph -> model -> render.

``check`` stops after the graph (it is what ``dagfactory validate`` runs, and
imports neither Jinja2 nor Airflow); ``compile_specs`` adds the model and the
rendered text for every spec when no spec has an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from dagfactory.config import Config, policy_diagnostics, promote_warnings
from dagfactory.diagnostics import Diagnostic, has_errors
from dagfactory.graph import TaskGraph, build_graph
from dagfactory.lineage import LINEAGE_CODES, RepoLineage, check_asset_uris, check_repo, pipeline_lineage
from dagfactory.loader import Document, JsonPath, NodeInfo, collector_paused, load_file

if TYPE_CHECKING:  # only `compile` needs these; `validate` starts faster without them
    from dagfactory.cache import CompileCache
    from dagfactory.model import Pipeline

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SpecFile:
    path: Path  # where to read it
    display: str  # how diagnostics and headers name it (posix, relative to the project when possible)
    relative: PurePosixPath  # its place under the specs folder, mirrored in the output folder
    escapes: bool = False  # in the specs folder only through a symlink to elsewhere: refused, never read
    # the specs folder it is in; None: named from outside it (the files it refers to stay in its own folder)
    specs_root: Path | None = None

    @property
    def output_relative(self) -> PurePosixPath:
        return self.relative.with_suffix(".py")


@dataclass
class SpecResult:
    spec: SpecFile
    diagnostics: list[Diagnostic] = field(default_factory=list)
    document: Document | None = None
    graph: TaskGraph | None = None
    pipeline: Pipeline | None = None
    text: str | None = None
    restored: bool = False  # document and diagnostics came from the incremental-compile cache


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover(paths: list[Path], specs_dir: Path, root: Path) -> list[SpecFile]:
    """Spec files under ``paths`` (files or folders), sorted, each once.

    Files whose name starts with ``_`` or ``.`` are not specs (``_defaults.yaml``).
    """
    roots = _Roots(str(specs_dir.absolute()), str(specs_dir.resolve()), str(root.resolve()), os.getcwd(), specs_dir)
    found: dict[Path, SpecFile] = {}
    folders: dict[Path, Path] = {}  # each folder resolved once: a thousand specs share a few folders
    for path in paths:
        candidates = [path] if path.is_file() else _files_under(path)
        for candidate in candidates:
            if not _is_spec_name(candidate.name):
                continue
            resolved = _resolve(candidate, folders)
            if resolved not in found:
                found[resolved] = _spec_file(candidate, resolved, roots)
    return sorted(found.values(), key=lambda s: s.relative.as_posix())


def _is_spec_name(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES) and not name.startswith(("_", "."))


def _files_under(folder: Path) -> list[Path]:
    """The spec files in ``folder`` and below, sorted: hidden folders and links to folders are
    not entered (as ``Path.rglob`` does); a folder that cannot be read is skipped."""
    found: list[Path] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:  # DirEntry answers from the listing: no stat per file
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    stack.append(current / entry.name)
            elif _is_spec_name(entry.name) and _is_file(entry):
                found.append(current / entry.name)
    return sorted(found)


def _is_file(entry: os.DirEntry[str]) -> bool:
    """A file, or a link to one; a link that leads nowhere (dangling, a loop) is skipped, not a crash."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _resolve(file: Path, folders: dict[Path, Path]) -> Path:
    """``file.resolve()``, resolving its folder only once per ``folders`` memo."""
    if file.is_symlink():
        return file.resolve()
    folder = folders.get(file.parent)
    if folder is None:
        folder = folders[file.parent] = file.parent.resolve()
    return folder / file.name


@dataclass(frozen=True)
class _Roots:
    specs_named: str  # the specs folder as named (absolute, links not followed)
    specs: str  # ... and with links followed
    project: str
    cwd: str
    given: Path  # the specs folder as the user named it, for messages


def _spec_file(path: Path, resolved: Path, roots: _Roots) -> SpecFile:
    # Path.relative_to costs more than the rest of a cached compile: compare the strings of
    # these absolute, normalised paths instead (one is inside the other iff it starts with it).
    inside = _inside(str(resolved), roots.specs)
    relative = PurePosixPath(inside.replace(os.sep, "/") if inside else path.name)
    display = _inside(str(resolved), roots.project)
    # in the specs folder as named, outside it once symlinks are followed: never read
    named = str(path) if path.is_absolute() else os.path.join(roots.cwd, str(path))
    escapes = bool(_inside(named, roots.specs_named)) and not inside
    shown = display.replace(os.sep, "/") if display else path.as_posix()
    return SpecFile(path, shown, relative, escapes, roots.given if inside else None)


def _inside(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` when it is inside it (both absolute and normalised)."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    return path[len(prefix) :] or None if path.startswith(prefix) else None


class SharedDefaults:
    """The ``_defaults.yaml`` files of one run: which apply to a folder, and their loaded
    content, each looked up and read once however many specs share them."""

    def __init__(self, specs_root: Path, include_roots: tuple[Path, ...] = ()) -> None:
        self.specs_root = specs_root
        self.roots = (specs_root, *include_roots)  # where a _defaults.yaml may lead, like a .sql file
        self._files: dict[Path, list[Path]] = {}
        self._loaded: dict[Path, tuple[Document | None, list[Diagnostic]]] = {}

    def files(self, spec: Path) -> list[Path]:
        """The defaults files that apply to ``spec``, furthest first."""
        from dagfactory.defaults import defaults_files

        key = spec if spec.is_symlink() else spec.parent  # a linked spec shares its target's folder
        if key not in self._files:
            self._files[key] = defaults_files(spec, self.specs_root)
        return self._files[key]

    def apply(self, doc: Document, spec: SpecFile, problems: list[Diagnostic]) -> Document:
        """``doc`` with the defaults of its folders merged under it; their problems go to ``problems``."""
        from dagfactory.defaults import apply_defaults, load_defaults

        layers = []
        for path in self.files(spec.path):
            if path not in self._loaded:
                shown = os.path.normpath(
                    os.path.join(os.path.dirname(spec.display), os.path.relpath(path, spec.path.parent))
                )
                self._loaded[path] = load_defaults(path, Path(shown).as_posix(), self.roots)
            layer, layer_problems = self._loaded[path]
            problems.extend(layer_problems)
            if layer is not None:
                layers.append(layer)
        return apply_defaults(doc, layers)


def check_spec(
    spec: SpecFile,
    config: Config = Config(),
    cache: CompileCache | None = None,
    defaults: SharedDefaults | None = None,
) -> SpecResult:
    """Load, validate and analyse one spec file (or restore that work from the cache)."""
    defaults = defaults if defaults is not None else SharedDefaults(config.specs, config.include_roots)
    result = SpecResult(spec)
    restored = None
    if cache is not None and not spec.escapes:
        restored = cache.restore(
            spec.display, spec.path, defaults.files(spec.path), positions=lambda: _positions(spec, defaults)
        )
    if restored is not None:
        result.document, result.diagnostics = restored[0], list(restored[1])
        result.document.file_roots = file_roots(spec, config)
        result.restored = True
        return result
    if spec.escapes:  # a link could make the compiler read (and echo into a DAG) any file
        message = "this spec is a symlink to a file outside the specs folder; refusing to read it"
        result.diagnostics.append(Diagnostic(spec.path.as_posix(), 1, 1, "DF001", message, hint="copy the file in"))
        return result
    from dagfactory.targets import target
    from dagfactory.validate import validate_document  # jsonschema: only when a spec needs checking

    doc, problems = load_file(spec.path, spec.display)
    result.diagnostics.extend(problems)
    if doc is None:
        return result
    doc = defaults.apply(doc, spec, result.diagnostics)
    doc.file_roots = file_roots(spec, config)
    result.document = doc
    result.diagnostics.extend(validate_document(doc, target(config.airflow)))
    result.diagnostics.extend(policy_diagnostics(doc, config))
    result.diagnostics.extend(check_asset_uris(doc))
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("tasks"), dict) and _edges_are_strings(data.get("edges")):
        result.graph, problems = build_graph(doc)
        result.diagnostics.extend(problems)
    return result


def file_roots(spec: SpecFile, config: Config) -> tuple[Path, ...]:
    """The folders the files a spec refers to must stay in: the specs folder it was found in (a spec
    named from outside it: its own folder) and the project's ``include_roots``."""
    return (spec.specs_root or spec.path.parent, *config.include_roots)


def _positions(spec: SpecFile, defaults: SharedDefaults) -> dict[JsonPath, NodeInfo]:
    """Where each value of a cache-restored spec is written: its files are unchanged (the cache
    checked their bytes), so loading them again gives the positions the first compile saw."""
    doc, _ = load_file(spec.path, spec.display)
    return defaults.apply(doc, spec, []).nodes if doc is not None else {}


def _edges_are_strings(edges: object) -> bool:
    return edges is None or (isinstance(edges, list) and all(isinstance(e, str) for e in edges))


def check(specs: list[SpecFile], config: Config = Config(), cache: CompileCache | None = None) -> list[SpecResult]:
    return _check(specs, config, cache)[0]


def _check(specs: list[SpecFile], config: Config, cache: CompileCache | None) -> tuple[list[SpecResult], RepoLineage]:
    """:func:`check`, and the repo's lineage of the specs that had no error before it was checked."""
    defaults = SharedDefaults(config.specs, config.include_roots)
    results = []
    for spec in specs:
        with collector_paused():
            results.append(check_spec(spec, config, cache, defaults))
    _check_unique(results)
    _check_module_names(results)
    _check_pools(results)
    repo = _check_lineage(results)
    if config.warnings_as_errors:
        for result in results:
            result.diagnostics = promote_warnings(result.diagnostics)
    return results, repo


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
    """No output file may shadow a module the DAGs import (see :mod:`dagfactory.shadowing`)."""
    from dagfactory.shadowing import imported_packages, shadow_diagnostic, taken_names

    documents = [r.document for r in results if r.document is not None and not has_errors(r.diagnostics)]
    taken = taken_names(set().union(*(imported_packages(d.data) for d in documents if isinstance(d.data, dict))))
    for result in results:
        found = shadow_diagnostic(result.spec.display, result.spec.output_relative, taken)
        if found is not None:
            result.diagnostics.append(found)


def _check_pools(results: list[SpecResult]) -> None:
    """Pools are project-wide: a task's pool may be declared by any spec (see :mod:`dagfactory.pools`)."""
    from dagfactory.pools import check_pools, is_pool_finding

    valid = [r for r in results if r.document is not None and not has_errors(r.diagnostics)]
    found = check_pools([r.document for r in valid if r.document is not None])
    for result in valid:
        assert result.document is not None
        # A cache-restored result carries the last run's pool findings: other specs may have changed since.
        kept = [d for d in result.diagnostics if not is_pool_finding(d)]
        result.diagnostics = kept + found[result.document.path]


def _check_lineage(results: list[SpecResult]) -> RepoLineage:
    """Lineage is repo-wide (see :mod:`dagfactory.lineage`): findings are recomputed on every run,
    since a cache-restored result carries the last run's, and other specs may have changed."""
    for result in results:
        result.diagnostics = [d for d in result.diagnostics if d.code not in LINEAGE_CODES]
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


def compile_specs(
    specs: list[SpecFile], config: Config = Config(), cache: CompileCache | None = None
) -> list[SpecResult]:
    """Check every spec; when none has an error, render each one.

    With a ``cache``, specs whose inputs are unchanged are neither parsed nor rendered
    again: their current output is reused (see :mod:`dagfactory.cache`).
    """
    results, repo = _check(specs, config, cache)  # with no error anywhere, repo covers every spec
    if any(has_errors(r.diagnostics) for r in results):
        return results
    from dagfactory.cache import context_fingerprint

    context = context_fingerprint([r.document for r in results if r.document is not None])
    for result in results:
        assert result.document is not None
        target = config.out / result.spec.output_relative.as_posix()
        if result.restored and cache is not None:
            result.text = cache.output_if_current(result.spec.display, context, target)
            if result.text is not None:
                continue
        with collector_paused():
            _render(result, repo, config.airflow)
        if cache is not None and result.text is not None:
            refs = referenced_files(result.document)
            cache.remember(result.document, result.spec.path, result.diagnostics, refs, context, target, result.text)
    if cache is not None:
        cache.save()
    return results


def _render(result: SpecResult, repo: RepoLineage | None = None, airflow: str = "3") -> None:
    from dagfactory.files import scope_of
    from dagfactory.model import build_pipeline
    from dagfactory.render import render_pipeline
    from dagfactory.targets import target

    doc = result.document
    assert doc is not None
    if result.graph is None:  # restored from the cache: the graph is cheap to rebuild
        result.graph, _ = build_graph(doc)
    result.pipeline = build_pipeline(
        doc.data, result.graph, result.spec.display, result.spec.relative.stem, scope_of(doc)
    )
    if repo is not None:  # which other pipelines produce its inputs and consume its outputs
        result.pipeline = replace(result.pipeline, **repo.links(result.pipeline.dag_id))
    result.text = render_pipeline(result.pipeline, target(airflow))


def referenced_files(doc: Document) -> list[Path]:
    """Files a spec's output depends on besides the spec: shared defaults and embedded files,
    as named (the cache notices a link that now points elsewhere: see ``cache._file_sha``).

    Decided by the same :func:`~dagfactory.files.resolve_reference` as validate and the model;
    a reference it refuses is an error, so a compile that reaches the cache has none.
    """
    from dagfactory.files import resolve_reference, scope_of
    from dagfactory.operators.args import task_references

    scope = scope_of(doc)
    found: list[Path] = list(doc.inputs)
    for _, name in task_references(doc.data):
        try:
            found.append(resolve_reference(scope, name).named)
        except ValueError:
            continue
    return found
