"""The ``dagfactory`` command line: arguments in, a pipeline call, a report out.

Exit status: 0 no errors, 1 errors found (or ``--check`` found drift), 2 bad usage.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from pathlib import Path

import click

from dagfactory.cli_lineage import register as register_lineage_commands
from dagfactory.config import Config, ConfigError, discover_config, load_config, with_overrides
from dagfactory.diagnostics import Diagnostic, has_errors, render

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

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
    default=None,
    help="The specs folder (output paths mirror paths under it). [default: `specs` in the config, else specs]",
)
_config_file = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A dagfactory.toml or pyproject.toml to use instead of looking one up from the current folder.",
)
_warnings_as_errors = click.option(
    "--warnings-as-errors/--no-warnings-as-errors",
    "--strict/--no-strict",
    default=None,
    help="Treat warnings (deprecations, secrets) as errors. [default: `warnings_as_errors` in the config, else off]",
)
_airflow = click.option(
    "--airflow",
    type=click.Choice(["3", "2"]),
    default=None,
    help="The Airflow major to compile for. [default: `airflow` in the config, else 3]",
)


def _settings(config_path: Path | None, fmt: str, **overrides: object) -> Config:
    """The project config (given, or looked up from the cwd upward) with CLI options over it."""
    try:
        config = load_config(config_path) if config_path else discover_config(Path.cwd())
    except ConfigError as exc:
        _report(exc.diagnostics, fmt)
        click.echo("dagfactory: the configuration file has errors", err=True)
        sys.exit(EXIT_USAGE)
    return with_overrides(config, **overrides)


_SEVERITY_STYLE = {"error": {"fg": "red", "bold": True}, "warning": {"fg": "yellow", "bold": True}}


def _use_colour() -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off; pipes and files never get it.
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _colourise(text: str) -> str:
    text = re.sub(r"\b(error|warning)(\[DF\d+\])", lambda m: click.style(m[1] + m[2], **_SEVERITY_STYLE[m[1]]), text)
    return re.sub(r"^(  hint:)", lambda m: click.style(m[1], fg="cyan"), text, flags=re.M)


def _report(diagnostics: list[Diagnostic], fmt: str) -> None:
    text = render(diagnostics, fmt)
    if fmt == "text" and text and _use_colour():
        text = _colourise(text)
    if text or fmt == "json":
        click.echo(text)


def _errors_summary(diagnostics: list[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _specs(paths: tuple[Path, ...], config: Config, *, may_be_gone: bool = False) -> list:
    from dagfactory.compiler import discover

    specs_dir = config.specs
    roots = list(paths) or [specs_dir]
    if not paths and not specs_dir.is_dir():
        if may_be_gone:  # git drops a folder with its last file: every spec was deleted
            click.echo(f"note: {specs_dir.as_posix()} does not exist: compiling no specs", err=True)
            return []
        raise click.UsageError(f"no spec paths given and the folder {specs_dir.as_posix()!r} does not exist")
    # Name specs relative to the project (the config file's folder), not the cwd: the name is
    # written into each generated file's header, which must not depend on where you ran from.
    root = config.source.parent if config.source else Path.cwd()
    return discover(roots, specs_dir, root)


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
@_config_file
@_warnings_as_errors
@_airflow
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
                click.echo(f"ok {result.spec.display}", err=True)
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
@_paths
@_format
@_specs_dir
@_config_file
@_warnings_as_errors
@_airflow
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
    help="Write nothing; exit 1 with a diff if any generated file is missing, stale or would be removed.",
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
    results = compile_specs(specs, config, None if no_cache else _cache(config))
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
            click.echo(f"wrote {target.as_posix()}", err=True)
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


@main.command()
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
    from dagfactory.scaffold import ScaffoldError, write_starter

    config = _settings(config_path, "text", specs=specs_dir)
    root = config.source.parent if config.source else Path.cwd()
    try:
        target = write_starter(name, operator, config, root)
    except (ScaffoldError, OSError) as exc:
        click.echo(f"dagfactory new: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
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


@main.command()
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


@main.command(name="check")
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
