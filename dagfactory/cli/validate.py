"""``dagfactory validate``: check specs, report every problem at path:line:col."""

from __future__ import annotations

from pathlib import Path

import click

from dagfactory.cli.options import (
    finish,
    jobs,
    jobs_option,
    plural,
    report,
    settings,
    spec_files,
    spec_options,
    summary,
)
from dagfactory.diagnostics import printable


@click.command(name="validate")
@spec_options
@jobs_option
@click.option("-q", "--quiet", is_flag=True, help="Print only problems (no summary line).")
@click.option("-v", "--verbose", is_flag=True, help="Also name each spec that has no problem.")
def validate_command(
    paths: tuple[Path, ...],
    fmt: str,
    specs_dir: Path | None,
    config_path: Path | None,
    warnings_as_errors: bool | None,
    airflow: str | None,
    quiet: bool,
    verbose: bool,
    jobs_given: int | None,
) -> None:
    """Check specs and report every problem as path:line:col.

    PATHS are spec files or folders (default: the specs folder). Imports
    neither Airflow nor Jinja2, so it is fast enough for pre-commit.

    \b
    Example:
      dagfactory validate specs/marketing/daily_sales.yaml
    """
    from dagfactory.check.project import check_project

    config = settings(config_path, fmt, specs=specs_dir, warnings_as_errors=warnings_as_errors, airflow=airflow)
    specs = spec_files(paths, config)
    project = check_project(specs, config, jobs=jobs(jobs_given), slim=True)
    diagnostics = project.diagnostics
    report(diagnostics, fmt)
    if verbose and fmt == "text":
        for result in project.results:
            if not result.diagnostics:
                click.echo(f"ok {printable(result.spec.display)}", err=True)
    if fmt == "text" and not quiet:
        click.echo(f"checked {plural(len(specs), 'spec')}: {summary(diagnostics)}", err=True)
    finish(diagnostics)
