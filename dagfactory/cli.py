"""The ``dagfactory`` command line: arguments in, a pipeline call, a report out.

Exit status: 0 no errors, 1 errors found (or ``--check`` found drift), 2 bad usage.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import click

from dagfactory.cli_common import (
    EXIT_ERRORS,
    EXIT_OK,
    _errors_summary,
    _report,
    _settings,
    _spec_options,
    _specs,
)
from dagfactory.cli_lineage import register as register_lineage_commands
from dagfactory.cli_tools import register as register_tools_commands
from dagfactory.diagnostics import Diagnostic, has_errors, printable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dagfactory")
def main() -> None:
    """Compile declarative YAML pipeline specs into Airflow DAG files.

    \b
    Example:
      dagfactory validate            # check every spec under specs/
      dagfactory compile             # specs/ -> generated_dags/
      dagfactory compile --check     # CI: fail if generated_dags/ is stale
    """


@main.command()
@_spec_options
@click.option("-q", "--quiet", is_flag=True, help="Print only problems (no summary line).")
@click.option("-v", "--verbose", is_flag=True, help="Also name each spec that has no problem.")
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    specs_dir: Path | None,
    config_path: Path | None,
    warnings_as_errors: bool | None,
    airflow: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check specs and report every problem as path:line:col.

    PATHS are spec files or folders (default: the specs folder). Imports
    neither Airflow nor Jinja2, so it is fast enough for pre-commit.

    \b
    Example:
      dagfactory validate specs/marketing/daily_sales.yaml
    """
    from dagfactory.compiler import check

    config = _settings(config_path, fmt, specs=specs_dir, warnings_as_errors=warnings_as_errors, airflow=airflow)
    specs = _specs(paths, config)
    results = check(specs, config)
    diagnostics = [d for r in results for d in r.diagnostics]
    _report(diagnostics, fmt)
    if verbose and fmt == "text":
        for result in results:
            if not result.diagnostics:
                click.echo(f"ok {printable(result.spec.display)}", err=True)
    if fmt == "text" and not quiet:
        click.echo(f"checked {len(specs)} spec{'s' * (len(specs) != 1)}: {_errors_summary(diagnostics)}", err=True)
    sys.exit(EXIT_ERRORS if has_errors(diagnostics) else EXIT_OK)


def _cache(config: object) -> object:
    from dagfactory.cache import CompileCache

    folder = config.source.parent if config.source is not None else Path.cwd()  # type: ignore[attr-defined]
    return CompileCache(folder, repr(config))


def _output_lock(out_dir: Path, check_only: bool) -> contextlib.AbstractContextManager[None]:
    """Compiles writing one folder take turns; ``--check`` writes nothing and needs no lock."""
    from dagfactory import writer

    if check_only:
        return contextlib.nullcontext()
    message = f"waiting for another dagfactory compile writing {out_dir.as_posix()} ..."
    return writer.output_lock(out_dir, lambda: click.echo(message, err=True))


@main.command(name="compile")
@click.option("--no-cache", is_flag=True, help="Recompile every spec, ignoring .dagfactory_cache/.")
@_spec_options
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
    from dagfactory import writer
    from dagfactory.compiler import compile_specs

    started = time.perf_counter()
    overrides = {"out": out_dir, "warnings_as_errors": warnings_as_errors, "airflow": airflow}
    config = _settings(config_path, fmt, specs=specs_dir, **overrides)
    out_dir = config.out
    specs = _specs(paths, config, may_be_gone=out_dir.is_dir())
    # --check is CI's verdict: it compares the files on disk with a fresh render of every spec,
    # never with the cache's word (a cache can be edited as easily as the files it vouches for).
    results = compile_specs(specs, config, None if no_cache or check_only else _cache(config))
    diagnostics = [d for r in results for d in r.diagnostics]
    if has_errors(diagnostics):
        _report(diagnostics, fmt)
        click.echo(f"nothing written: {_errors_summary(diagnostics)}", err=True)
        sys.exit(EXIT_ERRORS)
    outputs = {r.spec.output_relative: (r.spec.display, r.text or "") for r in results}
    try:
        with _output_lock(out_dir, check_only):
            plan = writer.plan(outputs, out_dir, prune=not paths)
            if plan.conflicts:
                _report(diagnostics + plan.conflicts, fmt)
                click.echo(f"nothing written: {_errors_summary(plan.conflicts)}", err=True)
                sys.exit(EXIT_ERRORS)
            _report(diagnostics, fmt)
            if check_only:
                if plan.changes:
                    click.echo(writer.diff(plan), nl=False)
                    click.echo(
                        f"{out_dir.as_posix()} is out of date: {len(plan.write)} to write, {len(plan.remove)} to "
                        "remove; run `dagfactory compile`",
                        err=True,
                    )
                    sys.exit(EXIT_ERRORS)
                if not quiet:
                    click.echo(f"{out_dir.as_posix()} is up to date ({len(plan.unchanged)} files)", err=True)
                sys.exit(EXIT_OK)
            problems = writer.apply(plan)
            if problems:
                _report(problems, fmt)
                sys.exit(EXIT_ERRORS)
    except writer.LockTimeout as exc:
        _report([Diagnostic(out_dir.as_posix(), 1, 1, "DF403", str(exc), hint="is another compile stuck?")], fmt)
        sys.exit(EXIT_ERRORS)
    if verbose and not quiet:
        for target in plan.write:
            click.echo(f"wrote {printable(target.as_posix())}", err=True)
    if not quiet:
        for target in plan.remove:
            click.echo(f"removed {printable(target.as_posix())} (its spec is gone)", err=True)
        elapsed = time.perf_counter() - started
        click.echo(
            f"compiled {len(specs)} spec{'s' * (len(specs) != 1)} into {out_dir.as_posix()}: "
            f"{len(plan.write)} written, {len(plan.unchanged)} unchanged, {len(plan.remove)} removed, "
            f"{_errors_summary(diagnostics)} ({elapsed:.2f}s)",
            err=True,
        )
    if fail_on_change and plan.changes:
        click.echo(f"{out_dir.as_posix()} changed: stage the changes and commit again", err=True)
        sys.exit(EXIT_ERRORS)
    sys.exit(EXIT_OK)


@main.command()
def schema() -> None:
    """Print the JSON Schema (Draft 2020-12) of a pipeline spec.

    \b
    Example:
      dagfactory schema > schemas/pipeline.schema.json
    """
    from dagfactory.schema import schema_json

    click.echo(schema_json(), nl=False)


register_tools_commands(main)  # new, requirements, check: dagfactory/cli_tools.py
register_lineage_commands(main)  # lineage, graph: dagfactory/cli_lineage.py


def run() -> None:
    """Console entry point: never a traceback, whatever happens."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the promise is "no traceback, ever"
        click.echo(
            f"dagfactory: error[DF900]: internal compiler error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in dagfactory; please report it with the spec that caused it",
            err=True,
        )
        sys.exit(EXIT_ERRORS)
