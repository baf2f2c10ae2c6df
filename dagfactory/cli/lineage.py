"""``dagfactory lineage`` and ``dagfactory graph``: the repo's pipeline/asset graph and one
pipeline's task graph, as text for GitHub (Mermaid), Graphviz (DOT), tools (JSON) or people (HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from dagfactory.cli.options import (
    config_option,
    out_file_option,
    paths_argument,
    settings,
    spec_files,
    stop_on_errors,
    write_or_print,
)

if TYPE_CHECKING:
    from dagfactory.check.lineage import RepoLineage
    from dagfactory.model import Pipeline

_FORMATS = ("mermaid", "dot", "json", "html")


def _modelled(
    paths: tuple[Path, ...], specs_dir: Path | None, config_path: Path | None, warn: bool = True
) -> tuple[list[Pipeline], RepoLineage]:
    """(pipelines, repo lineage) of the specs; exits 1 with the report when any spec has an error."""
    from dagfactory.check.project import check_project
    from dagfactory.model import model_of

    config = settings(config_path, "text", specs=specs_dir)
    project = check_project(spec_files(paths, config), config)
    stop_on_errors(project.diagnostics, warnings_to_stderr=warn)  # stdout carries the graph
    return [model_of(r) for r in project.results], project.lineage


@click.command(name="lineage")
@paths_argument
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="mermaid", show_default=True)
@out_file_option
@click.option("--specs-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="The specs folder.")
@config_option
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
    from dagfactory.emit import lineage

    pipelines, repo = _modelled(paths, specs_dir, config_path)
    document = lineage.repo_document(pipelines, repo)
    if fmt == "html":
        from dagfactory.emit.lineage_html import to_html

        text = to_html(document)
    else:
        text = {"json": lineage.to_json, "mermaid": lineage.to_mermaid, "dot": lineage.to_dot}[fmt](document)
    write_or_print(text, out)


@click.command(name="graph")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot")), default="mermaid", show_default=True)
@out_file_option
@config_option
def graph_command(spec: Path, fmt: str, out: Path | None, config_path: Path | None) -> None:
    """Print one pipeline's task graph, tasks in dependency order.

    \b
    Example:
      dagfactory graph specs/task_relationship.yaml --format dot | dot -Tsvg > graph.svg
    """
    from dagfactory.emit.lineage import task_graph_dot, task_graph_mermaid

    pipelines, _ = _modelled((spec,), None, config_path, warn=False)  # alone, its assets look unproduced
    write_or_print((task_graph_dot if fmt == "dot" else task_graph_mermaid)(pipelines[0]), out)
