"""``dagfactory validate``: check specs, report every problem at path:line:col."""

from __future__ import annotations

from pathlib import Path

import click

from dagfactory.cli.options import (
    finish,
    jobs,
    jobs_option,
    plural,
    project_root,
    report,
    settings,
    spec_files,
    spec_options,
    summary,
)
from dagfactory.cli.progress import Progress, wanted
from dagfactory.diagnostics import printable


@click.command(name="validate")
@click.option("--no-cache", is_flag=True, help="Check every spec afresh, ignoring .dagfactory_cache/.")
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
    no_cache: bool,
) -> None:
    """Check specs and report every problem as path:line:col.

    PATHS are spec files or folders (default: the specs folder). Imports
    neither Airflow nor Jinja2, so it is fast enough for pre-commit. A spec
    unchanged since the last validate or compile is not checked alone again
    (see .dagfactory_cache/); the rules across specs always run.

    \b
    Example:
      dagfactory validate specs/marketing/daily_sales.yaml
    """
    from dagfactory.check.cache import SpecCache, cache_settings
    from dagfactory.check.project import check_project

    config = settings(config_path, fmt, specs=specs_dir, warnings_as_errors=warnings_as_errors, airflow=airflow)
    specs = spec_files(paths, config)
    cache = None if no_cache else SpecCache(project_root(config), cache_settings(config))
    progress = Progress(len(specs), wanted(fmt, quiet))
    # kits: what the cache keeps of each spec checked afresh (its whole data), when there is a cache
    project = check_project(
        specs, config, cache, jobs=jobs(jobs_given), slim=True, kits=cache is not None, on_done=progress.step
    )
    progress.clear()
    if cache is not None:
        if not paths:  # the whole specs folder: every other entry is a spec that is gone
            cache.keep_only({spec.display for spec in specs})
        cache.remember_checked(project.results)
    diagnostics = project.diagnostics
    report(diagnostics, fmt)
    if verbose and fmt == "text":
        for result in project.results:
            if not result.diagnostics:
                click.echo(f"ok {printable(result.spec.display)}", err=True)
    if fmt == "text" and not quiet:
        restored = sum(r.restored for r in project.results)
        unchanged = f" ({restored} unchanged since the last run, not checked again)" if restored else ""
        click.echo(f"checked {plural(len(specs), 'spec')}: {summary(diagnostics)}{unchanged}", err=True)
    finish(diagnostics)
