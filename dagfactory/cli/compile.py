"""``dagfactory compile``: check, emit and write the DAG files (or, with ``--check``, compare)."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dagfactory.cli.options import (
    Exit,
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
from dagfactory.diagnostics import Diagnostic, has_errors, printable
from dagfactory.load.config import Config

if TYPE_CHECKING:
    from dagfactory.emit.cache import CompileCache
    from dagfactory.emit.writer import Plan


@click.command(name="compile")
@click.option("--no-cache", is_flag=True, help="Recompile every spec, ignoring .dagfactory_cache/.")
@spec_options
@jobs_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder for generated DAG files. [default: `out` in the config, else generated_dags]",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 with a diff if any generated file is missing, stale or would be removed. "
    "Renders every spec afresh (the cache is neither read nor written).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("-v", "--verbose", is_flag=True, help="Also name each file written.")
@click.option(
    "--exit-non-zero-on-change",
    "fail_on_change",
    is_flag=True,
    help="Exit 1 when a file was written or removed (for pre-commit: re-stage the changes and commit again).",
)
def compile_command(
    paths: tuple[Path, ...],
    fmt: str,
    specs_dir: Path | None,
    config_path: Path | None,
    warnings_as_errors: bool | None,
    airflow: str | None,
    out_dir: Path | None,
    check_only: bool,
    quiet: bool,
    verbose: bool,
    fail_on_change: bool,
    no_cache: bool,
    jobs_given: int | None,
) -> None:
    """Validate specs and render each into an Airflow DAG file.

    Writes nothing if any spec has an error. Files are written atomically,
    unchanged files are left alone, and only files carrying the generated
    header are ever overwritten or removed. Compiling the whole specs folder
    (no PATHS) also removes generated files whose spec was deleted.

    \b
    Example:
      dagfactory compile                       # specs/ -> generated_dags/
      dagfactory compile --out /opt/airflow/dags
      dagfactory compile --check               # in CI
    """
    from dagfactory.emit import render_project, writer

    started = time.perf_counter()
    overrides = {"out": out_dir, "warnings_as_errors": warnings_as_errors, "airflow": airflow}
    config = settings(config_path, fmt, specs=specs_dir, **overrides)
    out = config.out
    specs = spec_files(paths, config, may_be_gone=out.is_dir())
    # --check is CI's verdict: it compares the files on disk with a fresh render of every spec,
    # never with the cache's word (a cache can be edited as easily as the files it vouches for).
    cache = None if no_cache or check_only else _cache(config)
    progress = Progress(len(specs), wanted(fmt, quiet), stages=("checking", "rendering"))
    if cache is not None and not paths:  # the whole specs folder: every other entry is a spec that is gone
        cache.keep_only({spec.display for spec in specs})
    compiled = render_project(specs, config, cache, jobs=jobs(jobs_given), on_done=progress.step)
    progress.clear()
    diagnostics = [d for c in compiled for d in c.diagnostics]
    if has_errors(diagnostics):
        report(diagnostics, fmt)
        click.echo(f"nothing written: {summary(diagnostics)}", err=True)
        sys.exit(Exit.ERRORS)
    outputs = {c.spec.output_relative: (c.spec.display, c.text or "") for c in compiled}
    # outputs whose stamp the cache does not hold yet (one it vouched for with a stamp is settled)
    unstamped = [c for c in compiled if not (isinstance(c.text, writer.Current) and c.text.stamp is not None)]
    try:
        with _output_lock(out, check_only):
            plan = writer.plan(outputs, out, prune=not paths)
            if plan.conflicts:
                report(diagnostics + plan.conflicts, fmt)
                click.echo(f"nothing written: {summary(plan.conflicts)}", err=True)
                sys.exit(Exit.ERRORS)
            report(diagnostics, fmt)
            if check_only:
                _check_verdict(plan, out, quiet)
            problems = writer.apply(plan)
            if cache is not None:  # under the lock: the files are those this compile left
                cache.settle_outputs({c.spec.display: out / c.spec.output_relative.as_posix() for c in unstamped})
                cache.save()
            if problems:
                report(problems, fmt)
                sys.exit(Exit.ERRORS)
    except writer.LockTimeout as exc:
        report([Diagnostic(out.as_posix(), 1, 1, "DF403", str(exc), hint="is another compile stuck?")], fmt)
        sys.exit(Exit.ERRORS)
    if verbose and not quiet:
        for target in plan.write:
            click.echo(f"wrote {printable(target.as_posix())}", err=True)
    if not quiet:
        for target in plan.remove:
            click.echo(f"removed {printable(target.as_posix())} (its spec is gone)", err=True)
        elapsed = time.perf_counter() - started
        click.echo(
            f"compiled {plural(len(specs), 'spec')} into {out.as_posix()}: "
            f"{len(plan.write)} written, {len(plan.unchanged)} unchanged, {len(plan.remove)} removed, "
            f"{summary(diagnostics)} ({elapsed:.2f}s)",
            err=True,
        )
    if fail_on_change and plan.changes:
        click.echo(f"{out.as_posix()} changed: stage the changes and commit again", err=True)
        sys.exit(Exit.ERRORS)
    sys.exit(Exit.OK)


def _check_verdict(plan: Plan, out: Path, quiet: bool) -> None:
    """``--check``: exit 1 with the diff when the output folder is stale, else 0."""
    from dagfactory.emit import writer

    if plan.changes:
        click.echo(writer.diff(plan), nl=False)
        click.echo(
            f"{out.as_posix()} is out of date: {len(plan.write)} to write, {len(plan.remove)} to "
            "remove; run `dagfactory compile`",
            err=True,
        )
        sys.exit(Exit.ERRORS)
    if not quiet:
        click.echo(f"{out.as_posix()} is up to date ({len(plan.unchanged)} files)", err=True)
    sys.exit(Exit.OK)


def _cache(config: Config) -> CompileCache:
    from dagfactory.emit.cache import CompileCache, cache_settings

    return CompileCache(project_root(config), cache_settings(config))


def _output_lock(out: Path, check_only: bool) -> contextlib.AbstractContextManager[None]:
    """Compiles writing one folder take turns; ``--check`` writes nothing and needs no lock."""
    from dagfactory.emit import writer

    if check_only:
        return contextlib.nullcontext()
    message = f"waiting for another dagfactory compile writing {out.as_posix()} ..."
    return writer.output_lock(out, lambda: click.echo(message, err=True))
