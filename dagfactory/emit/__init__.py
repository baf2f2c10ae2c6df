"""Stage 4, emit: checked specs in, files out.

Takes the :class:`~dagfactory.check.project.CheckedProject` of a project without errors,
builds each spec's :class:`~dagfactory.model.Pipeline` once, and renders it: the DAG file
(:mod:`.dag`, Python built and escaped by :mod:`.pycode`), its Markdown docs (:mod:`.docs`),
the repo's lineage (:mod:`.lineage`, :mod:`.lineage_html`), provider requirements
(:mod:`.requirements`) and starter specs (:mod:`.starter`). :mod:`.writer` puts files in the
output folder (atomically, only ever touching its own); :mod:`.cache` skips unchanged specs
(with :mod:`dagfactory.check.cache`, which skips checking them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagfactory.check.project import CheckedProject, SpecResult, check_project
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.config import Config
from dagfactory.load.discover import SpecFile
from dagfactory.load.document import Document, collector_paused
from dagfactory.load.references import referenced_files
from dagfactory.model import Pipeline, model_of

if TYPE_CHECKING:
    from dagfactory.emit.cache import CompileCache


@dataclass
class Compiled:
    """One spec after emit: its check result, its model and its DAG file's text (both None when
    the project has errors; the model is None when the cache vouched for the output as is)."""

    checked: SpecResult
    pipeline: Pipeline | None = None
    text: str | None = None

    @property
    def spec(self) -> SpecFile:
        return self.checked.spec

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.checked.diagnostics

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
                cache.remember(doc, result.spec.path, result.own, referenced_files(doc), context, output, item.text)
        if done is not None:
            done(item)
    if cache is not None:
        cache.save()
    return compiled
