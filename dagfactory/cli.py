"""The ``dagfactory`` command line: arguments in, a pipeline call, a report out.

Exit status: 0 no errors, 1 errors found (or ``--check`` found drift), 2 bad usage.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from dagfactory.diagnostics import Diagnostic, has_errors, render

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
DEFAULT_SPECS = Path("specs")
DEFAULT_OUT = Path("generated_dags")

_paths = click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to print diagnostics.",
)
_specs_dir = click.option(
    "--specs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_SPECS,
    show_default=True,
    help="The specs folder (output paths mirror paths under it).",
)


def _report(diagnostics: list[Diagnostic], fmt: str) -> None:
    text = render(diagnostics, fmt)
    if text or fmt == "json":
        click.echo(text)


def _errors_summary(diagnostics: list[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _specs(paths: tuple[Path, ...], specs_dir: Path) -> list:
    from dagfactory.compiler import discover

    roots = list(paths) or [specs_dir]
    if not paths and not specs_dir.is_dir():
        raise click.UsageError(f"no spec paths given and the folder {specs_dir.as_posix()!r} does not exist")
    return discover(roots, specs_dir, Path.cwd())


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
@_paths
@_format
@_specs_dir
def validate(paths: tuple[Path, ...], fmt: str, specs_dir: Path) -> None:
    """Check specs and report every problem as path:line:col.

    PATHS are spec files or folders (default: the specs folder). Imports
    neither Airflow nor Jinja2, so it is fast enough for pre-commit.

    \b
    Example:
      dagfactory validate specs/marketing/daily_sales.yaml
    """
    from dagfactory.compiler import check

    specs = _specs(paths, specs_dir)
    diagnostics = [d for r in check(specs) for d in r.diagnostics]
    _report(diagnostics, fmt)
    if fmt == "text":
        click.echo(f"checked {len(specs)} spec{'s' * (len(specs) != 1)}: {_errors_summary(diagnostics)}", err=True)
    sys.exit(EXIT_ERRORS if has_errors(diagnostics) else EXIT_OK)


@main.command(name="compile")
@_paths
@_format
@_specs_dir
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Output folder for generated DAG files.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 with a diff if any generated file is missing, stale or would be removed.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def compile_command(
    paths: tuple[Path, ...], fmt: str, specs_dir: Path, out_dir: Path, check_only: bool, quiet: bool
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
    specs = _specs(paths, specs_dir)
    results = compile_specs(specs)
    diagnostics = [d for r in results for d in r.diagnostics]
    if has_errors(diagnostics):
        _report(diagnostics, fmt)
        click.echo(f"nothing written: {_errors_summary(diagnostics)}", err=True)
        sys.exit(EXIT_ERRORS)
    outputs = {r.spec.output_relative: (r.spec.display, r.text or "") for r in results}
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
    if not quiet:
        for target in plan.remove:
            click.echo(f"removed {target.as_posix()} (its spec is gone)", err=True)
        elapsed = time.perf_counter() - started
        click.echo(
            f"compiled {len(specs)} spec{'s' * (len(specs) != 1)} into {out_dir.as_posix()}: "
            f"{len(plan.write)} written, {len(plan.unchanged)} unchanged, {len(plan.remove)} removed "
            f"({elapsed:.2f}s)",
            err=True,
        )
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
