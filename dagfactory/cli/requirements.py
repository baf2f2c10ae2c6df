"""``dagfactory requirements``: what the compiled DAGs need from the Airflow that runs them."""

from __future__ import annotations

from pathlib import Path

import click

from dagfactory.cli.options import (
    airflow_option,
    config_option,
    paths_argument,
    settings,
    spec_files,
    specs_dir_option,
    stop_on_errors,
)


@click.command(name="requirements")
@paths_argument
@specs_dir_option
@config_option
@click.option("--pools", "pools", is_flag=True, help="Print `airflow pools set` commands for the declared pools.")
@airflow_option
def requirements_command(
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
    from dagfactory.emit import compile_specs
    from dagfactory.emit.requirements import pool_lines, requirements
    from dagfactory.targets import target

    config = settings(config_path, "text", specs=specs_dir, airflow=airflow)
    compiled = compile_specs(spec_files(paths, config), config)
    # stdout is the requirements list: warnings go to stderr
    stop_on_errors([d for c in compiled for d in c.diagnostics], warnings_to_stderr=True)
    if pools:
        lines = pool_lines(c.document for c in compiled if c.document is not None)
    else:
        lines = requirements((c.pipeline for c in compiled if c.pipeline is not None), target(config.airflow))
    for line in lines:
        click.echo(line)
