"""Stage 4, emit: checked specs in, files out.

Takes the :class:`~dagfactory.check.project.CheckedProject` of a project without errors,
builds each spec's :class:`~dagfactory.model.Pipeline` once, and renders it: the DAG file
(:mod:`.dag`, Python built and escaped by :mod:`.pycode`), its Markdown docs (:mod:`.docs`),
the repo's lineage (:mod:`.lineage`, :mod:`.lineage_html`), provider requirements
(:mod:`.requirements`) and starter specs (:mod:`.starter`). :mod:`.writer` puts files in the
output folder (atomically, only ever touching its own); :mod:`.cache` skips unchanged specs
(with :mod:`dagfactory.check.cache`, which skips checking them).

Two ways in. :func:`compile_specs` / :func:`emit_project` keep everything (each spec's
document, model and text) for callers that look at them. ``compile`` uses
:func:`render_project`, made for large projects and every core, in two rounds:

1. :func:`~dagfactory.check.project.check_project` with ``slim=True``: each spec is loaded
   and checked alone (in worker processes with ``jobs`` > 1), only a summary and a pickled
   render kit come back, and the cross-spec rules run here on the summaries. This round
   must end before any spec is rendered: a spec's docs name the pipelines that produce and
   consume its assets, which only the whole repo's lineage knows.
2. :func:`render_project`: each spec's kit, with its links in that lineage, is modelled and
   rendered (again in workers), and comes back as its text, compressed
   (:class:`~dagfactory.emit.writer.Packed`); its kit is dropped as it does.

The texts and every finding are the same, byte for byte and in the same order, whatever
``jobs`` is. ``on_done`` is called here with each spec's result as it arrives, in spec order:
once when it is checked, and (when the project has no error) once more when it is rendered.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dagfactory.check.jobs import run_each
from dagfactory.check.lineage import Links
from dagfactory.check.project import CHECK_MODULES, CheckedProject, SpecResult, check_project
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.config import Config
from dagfactory.load.discover import SpecFile
from dagfactory.load.document import Document, collector_paused
from dagfactory.load.references import referenced_files
from dagfactory.model import Pipeline, model_of

if TYPE_CHECKING:
    from dagfactory.emit.cache import CompileCache
    from dagfactory.emit.writer import Current, Packed

# What a worker rendering specs needs, imported once by the fork server (Jinja2 included).
EMIT_MODULES = (*CHECK_MODULES, "dagfactory.emit", "dagfactory.emit.dag")


@dataclass
class _Emitted:
    """One spec after emit (see :class:`Compiled` and :class:`Rendered`): its check result."""

    checked: SpecResult

    @property
    def spec(self) -> SpecFile:
        return self.checked.spec

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.checked.diagnostics


@dataclass
class Compiled(_Emitted):
    """One spec after emit: its check result, its model and its DAG file's text (both None when
    the project has errors; the model is None when the cache vouched for the output as is)."""

    pipeline: Pipeline | None = None
    text: str | None = None

    @property
    def document(self) -> Document | None:
        return self.checked.document


def compile_specs(
    specs: list[SpecFile], config: Config = Config(), cache: CompileCache | None = None
) -> list[Compiled]:
    """Check every spec; when none has an error, emit each one (see :func:`emit_project`)."""
    return emit_project(check_project(specs, config, cache), config, cache)


def emit_project(
    project: CheckedProject,
    config: Config,
    cache: CompileCache | None = None,
    done: Callable[[Compiled], None] | None = None,
) -> list[Compiled]:
    """The DAG file text of every spec, or nothing when any spec has an error.

    With a ``cache``, a spec whose inputs are unchanged keeps its current output, when that
    output is untouched and its cross-spec context (who produces and consumes its assets) is
    the same: it is neither modelled nor rendered again (see :mod:`dagfactory.emit.cache`).
    When a spec has an error, the cache keeps what was checked (as ``validate`` does).
    ``done`` is called with each spec as soon as its text is made (a progress display).
    """
    compiled = [Compiled(result) for result in project.results]
    if not project.ok:
        if cache is not None:
            cache.remember_checked(project.results)
        return compiled
    from dagfactory.emit.cache import context_fingerprint
    from dagfactory.emit.dag import render_pipeline  # Jinja2: only when something is rendered
    from dagfactory.targets import target

    context = context_fingerprint([r.document for r in project.results if r.document is not None])
    for item in compiled:
        result, doc = item.checked, item.checked.document
        assert doc is not None
        output = config.out / result.spec.output_relative.as_posix()
        if result.restored and cache is not None:
            item.text = cache.output_if_current(result.spec.display, context, output)
        if item.text is None:
            with collector_paused():
                item.pipeline = model_of(result, project.lineage)
                item.text = render_pipeline(item.pipeline, target(config.airflow))
            if cache is not None:
                refs = referenced_files(doc)
                cache.remember_output(
                    doc, result.spec.path, result.own, refs, context, output, item.text, result.source
                )
        if done is not None:
            done(item)
    if cache is not None:
        cache.save()
    return compiled


@dataclass
class Rendered(_Emitted):
    """One spec of a slim compile: its (slim) check result and, when the project has no error,
    its DAG file's text, packed."""

    text: Packed | Current | None = None  # Current: the output on disk is what it would be


@dataclass(frozen=True)
class _RenderJob:
    spec: SpecFile
    kit: bytes  # (data, file references) pickled: see SpecResult.kit
    base_dir: Path | None
    inputs: tuple[Path, ...]
    file_roots: tuple[Path, ...]
    links: Links
    airflow: str
    remember: bool  # also say which files the output depends on (for the cache)


def render_project(
    specs: list[SpecFile],
    config: Config = Config(),
    cache: CompileCache | None = None,
    *,
    jobs: int = 1,
    on_done: Callable[[SpecResult], None] | None = None,
) -> list[Rendered]:
    """Check every spec (slim), then render each one, or none when any spec has an error (see
    the module docstring). With a ``cache``, as :func:`emit_project` uses it."""
    project = check_project(specs, config, cache, jobs=jobs, slim=True, kits=True, on_done=on_done)
    rendered = [Rendered(result) for result in project.results]
    if not project.ok:
        if cache is not None:  # what was checked is kept, as validate keeps it
            cache.remember_checked(project.results)
        return rendered
    from dagfactory.emit.cache import context_fingerprint

    documents = [(r.document, r.context) for r in project.results if r.document is not None]
    context = context_fingerprint([doc for doc, _ in documents], [part for _, part in documents])
    todo: list[_RenderJob] = []
    for item in rendered:
        result, doc = item.checked, item.checked.document
        assert doc is not None
        if result.restored and cache is not None:
            current = cache.current_output(
                result.spec.display, context, config.out / result.spec.output_relative.as_posix()
            )
            if current is not None:
                item.text = current
                continue
        if result.kit is None:  # restored from the cache: its data is the cache's text
            whole = result.whole_document()
            assert whole is not None
            result.kit = zlib.compress(pickle.dumps((whole.data, {}), protocol=pickle.HIGHEST_PROTOCOL), 1)
        dag_id = doc.data.get("dag_id") or result.spec.relative.stem
        links = project.lineage.links(dag_id)
        todo.append(
            _RenderJob(
                result.spec,
                result.kit,
                doc.base_dir,
                doc.inputs,
                doc.file_roots,
                links,
                config.airflow,
                cache is not None,
            )
        )
    answers = run_each(render_one, todo, jobs, EMIT_MODULES)
    try:
        for item in rendered:
            if item.text is None:
                item.text, refs = next(answers)
                if cache is not None and refs is not None:
                    target = config.out / item.spec.output_relative.as_posix()
                    _remember(cache, item.checked, refs, context, target, item.text)
            item.checked.kit = None  # rendered: what is left of the spec is its summary
            if on_done is not None:
                on_done(item.checked)
    finally:
        answers.close()  # stops the workers at once if anything went wrong here
    if cache is not None:
        cache.save()
    return rendered


def _remember(
    cache: CompileCache, result: SpecResult, refs: list[Path], context: str, target: Path, text: Packed
) -> None:
    whole = result.whole_document()
    assert whole is not None  # rendered: it had a kit, or was restored with its data
    cache.remember_output(
        whole, result.spec.path, result.own, refs, context, target, text.text, result.source, result.summary()
    )


def render_one(job: _RenderJob) -> tuple[Packed, list[Path] | None]:
    """Model and render one spec from its kit (what a worker does, once per spec): its text,
    packed, and (for the cache) the files its output depends on."""
    from dagfactory.emit.dag import render_pipeline
    from dagfactory.emit.writer import Packed
    from dagfactory.targets import target

    data, references = pickle.loads(zlib.decompress(job.kit))
    doc = Document(job.spec.display, data, {}, job.base_dir, job.inputs, job.file_roots, references)
    with collector_paused():
        pipeline = replace(model_of(SpecResult(job.spec, document=doc)), **job.links)
        text = render_pipeline(pipeline, target(job.airflow))
    return Packed.of(text), referenced_files(doc) if job.remember else None
