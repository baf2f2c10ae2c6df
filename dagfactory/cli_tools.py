"""The ``new``, ``requirements`` and ``check`` commands: starting a spec, and what the
compiled DAGs need from the Airflow that runs them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dagfactory.cli_common import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    _airflow,
    _config_file,
    _errors_summary,
    _format,
    _paths,
    _report,
    _settings,
    _specs,
    _specs_dir,
)
from dagfactory.diagnostics import has_errors, render


def register(main: click.Group) -> None:
    for command in (new, requirements, check_command):
        main.add_command(command)


@click.command()
@click.argument("name")
@click.option(
    "--operator",
    type=click.Choice(["bash", "python", "sql"]),
    default="bash",
    show_default=True,
    help="The operator of the starter task.",
)
@_specs_dir
@_config_file
def new(name: str, operator: str, specs_dir: Path | None, config_path: Path | None) -> None:
    """Write a starter spec NAME.yaml into the specs folder; it compiles as is.

    NAME becomes the dag_id and may include sub-folders. Never overwrites a file.

    \b
    Example:
      dagfactory new marketing/daily_sales --operator python
    """
    from dagfactory.scaffold import BadName, ScaffoldError, write_starter

    config = _settings(config_path, "text", specs=specs_dir)
    root = config.source.parent if config.source else Path.cwd()
    try:
        target = write_starter(name, operator, config, root)
    except (ScaffoldError, OSError) as exc:
        click.echo(f"dagfactory new: error: {exc}", err=True)
        sys.exit(EXIT_USAGE if isinstance(exc, BadName) else EXIT_ERRORS)
    click.echo(f"wrote {target.as_posix()}: edit it, then run `dagfactory compile`", err=True)


def _compiled(
    paths: tuple[Path, ...], fmt: str, specs_dir: Path | None, config_path: Path | None, airflow: str | None = None
) -> tuple:
    """(config, results, diagnostics) of compiling specs in memory; exits 1 with the report on errors."""
    from dagfactory.compiler import compile_specs

    config = _settings(config_path, fmt, specs=specs_dir, airflow=airflow)
    results = compile_specs(_specs(paths, config), config)
    diagnostics = [d for r in results for d in r.diagnostics]
    if has_errors(diagnostics):
        _report(diagnostics, fmt)
        click.echo(f"dagfactory: {_errors_summary(diagnostics)}", err=True)
        sys.exit(EXIT_ERRORS)
    return config, results, diagnostics


@click.command()
@_paths
@_specs_dir
@_config_file
@click.option("--pools", "pools", is_flag=True, help="Print `airflow pools set` commands for the declared pools.")
@_airflow
def requirements(
    paths: tuple[Path, ...], specs_dir: Path | None, config_path: Path | None, pools: bool, airflow: str | None
) -> None:
    """Print the provider distributions the compiled DAGs need, one per line.

    Sorted and pip-installable: build your Airflow image from it. With --pools,
    print instead one shell-quoted `airflow pools set NAME SLOTS DESCRIPTION`
    line per pool the specs declare under `pools:`.

    \b
    Example:
      dagfactory requirements > requirements-airflow.txt
      dagfactory requirements --pools | sh
    """
    from dagfactory.requirements import pool_lines
    from dagfactory.requirements import requirements as needed
    from dagfactory.targets import target

    config, results, warnings = _compiled(paths, "text", specs_dir, config_path, airflow)
    if warnings:  # stdout is the requirements list: keep it clean
        click.echo(render(warnings, "text"), err=True)
    if pools:
        lines = pool_lines(r.document for r in results if r.document is not None)
    else:
        lines = needed((r.pipeline for r in results if r.pipeline is not None), target(config.airflow))
    for line in lines:
        click.echo(line)


@click.command(name="check")
@_paths
@_format
@_specs_dir
@_config_file
def check_command(paths: tuple[Path, ...], fmt: str, specs_dir: Path | None, config_path: Path | None) -> None:
    """Load the compiled DAGs in the installed Airflow and check every operator argument.

    Compiles to a temporary folder (nothing is written to the output folder),
    fills a real DagBag, and compares each task's arguments with the installed
    operator's signature. Problems are reported at the spec's path:line:col.
    Needs Airflow: pip install 'dagfactory[airflow]'.

    \b
    Example:
      dagfactory check specs/mysql_to_s3_employee.yaml
    """
    from dagfactory.deepcheck import airflow_available, deep_check

    if not airflow_available():
        click.echo(
            "dagfactory check needs Apache Airflow in this Python environment: "
            "pip install 'dagfactory[airflow]' plus the providers `dagfactory requirements` lists",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    config, results, warnings = _compiled(paths, fmt, specs_dir, config_path)
    diagnostics = warnings + deep_check(results, [config.out])
    _report(diagnostics, fmt)
    if fmt == "text":
        click.echo(
            f"checked {len(results)} spec{'s' * (len(results) != 1)} in Airflow: {_errors_summary(diagnostics)}",
            err=True,
        )
    sys.exit(EXIT_ERRORS if has_errors(diagnostics) else EXIT_OK)
