"""``dagfactory check``: load the compiled DAGs in the installed Airflow (:mod:`dagfactory.verify`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dagfactory.cli.options import (
    Exit,
    config_option,
    finish,
    format_option,
    paths_argument,
    plural,
    report,
    settings,
    spec_files,
    specs_dir_option,
    stop_on_errors,
    summary,
)


@click.command(name="check")
@paths_argument
@format_option
@specs_dir_option
@config_option
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
    from dagfactory.emit import compile_specs
    from dagfactory.verify.airflow import airflow_available, deep_check

    if not airflow_available():
        click.echo(
            "dagfactory check needs Apache Airflow in this Python environment: "
            "pip install 'dagfactory[airflow]' plus the providers `dagfactory requirements` lists",
            err=True,
        )
        sys.exit(Exit.USAGE)
    config = settings(config_path, fmt, specs=specs_dir)
    compiled = compile_specs(spec_files(paths, config), config)
    warnings = [d for c in compiled for d in c.diagnostics]
    stop_on_errors(warnings, fmt)
    diagnostics = warnings + deep_check(compiled, [config.out])
    report(diagnostics, fmt)
    if fmt == "text":
        click.echo(f"checked {plural(len(compiled), 'spec')} in Airflow: {summary(diagnostics)}", err=True)
    finish(diagnostics)
