"""The ``lineage`` and ``graph`` commands: the repo's pipeline/asset graph and one pipeline's
task graph, as text for GitHub (Mermaid), Graphviz (DOT), tools (JSON) or people (HTML).

Registered onto the main click group by :mod:`dagfactory.cli`; its helpers are imported
when a command runs, so the two modules do not import each other at load time.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

_FORMATS = ("mermaid", "dot", "json", "html")


def register(main: click.Group) -> None:
    main.add_command(lineage_command)
    main.add_command(graph_command)


def _checked(
    paths: tuple[Path, ...], specs_dir: Path | None, config_path: Path | None, warn: bool = True
) -> tuple[list, Any]:
    """(pipelines, repo lineage) of the specs; exits 1 with the report when any spec has an error."""
    from dagfactory.cli_common import EXIT_ERRORS, _errors_summary, _report, _settings, _specs
    from dagfactory.compiler import check, repo_lineage
    from dagfactory.diagnostics import has_errors, render
    from dagfactory.files import scope_of
    from dagfactory.graph import build_graph
    from dagfactory.model import build_pipeline

    config = _settings(config_path, "text", specs=specs_dir)
    results = check(_specs(paths, config), config)
    diagnostics = [d for r in results for d in r.diagnostics]
    if has_errors(diagnostics):
        _report(diagnostics, "text")
        click.echo(f"dagfactory: {_errors_summary(diagnostics)}", err=True)
        sys.exit(EXIT_ERRORS)
    if diagnostics and warn:  # stdout carries the graph: warnings go to stderr
        click.echo(render(diagnostics, "text"), err=True)
    repo = repo_lineage(results)
    pipelines = []
    for r in results:
        graph = r.graph if r.graph is not None else build_graph(r.document)[0]
        pipelines.append(
            build_pipeline(r.document.data, graph, r.spec.display, r.spec.relative.stem, scope_of(r.document))
        )
    return pipelines, repo


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        click.echo(f"dagfactory: error: cannot write {out.as_posix()}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    click.echo(f"wrote {out.as_posix()}", err=True)


@click.command(name="lineage")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="mermaid", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write here, not stdout.")
@click.option("--specs-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="The specs folder.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
def lineage_command(
    paths: tuple[Path, ...], fmt: str, out: Path | None, specs_dir: Path | None, config_path: Path | None
) -> None:
    """Print the repo's lineage: which pipeline writes which asset, and who reads it.

    PATHS are spec files or folders (default: the specs folder). Mermaid renders
    on GitHub; DOT feeds Graphviz; JSON is for tools; HTML is one self-contained
    page (graph plus each pipeline's owners, schedule, inputs, outputs, tasks).

    \b
    Example:
      dagfactory lineage --format html --out lineage.html
      dagfactory lineage specs/shop --format mermaid
    """
    from dagfactory import lineage_render

    pipelines, repo = _checked(paths, specs_dir, config_path)
    document = lineage_render.repo_document(pipelines, repo)
    if fmt == "html":
        from dagfactory.lineage_html import to_html

        text = to_html(document)
    else:
        text = {"json": lineage_render.to_json, "mermaid": lineage_render.to_mermaid, "dot": lineage_render.to_dot}[
            fmt
        ](document)
    _emit(text, out)


@click.command(name="graph")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot")), default="mermaid", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write here, not stdout.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
def graph_command(spec: Path, fmt: str, out: Path | None, config_path: Path | None) -> None:
    """Print one pipeline's task graph, tasks in dependency order.

    \b
    Example:
      dagfactory graph specs/task_relationship.yaml --format dot | dot -Tsvg > graph.svg
    """
    from dagfactory.lineage_render import task_graph_dot, task_graph_mermaid

    pipelines, _ = _checked((spec,), None, config_path, warn=False)  # alone, its assets look unproduced
    _emit((task_graph_dot if fmt == "dot" else task_graph_mermaid)(pipelines[0]), out)
