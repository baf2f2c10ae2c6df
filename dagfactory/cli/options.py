"""What the commands share: their options (declared once), the project settings they resolve
to, the spec files they name, and how findings are printed and turned into an exit status."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from dagfactory.diagnostics import Diagnostic, has_errors, render
from dagfactory.load.config import Config, ConfigError, discover_config, load_config, with_overrides
from dagfactory.load.discover import SpecFile, discover

F = TypeVar("F", bound=Callable[..., Any])


class Exit(IntEnum):
    """Every exit status of every command."""

    OK = 0  # no errors (warnings allowed)
    ERRORS = 1  # errors found, `compile --check` found drift, or output could not be written
    USAGE = 2  # bad usage: options, a bad configuration file, a bad name for `new`
    INTERRUPTED = 130  # Ctrl-C (SIGINT), as a shell reports it: 128 + the signal's number


def finish(diagnostics: list[Diagnostic]) -> NoReturn:
    """Exit 1 when any of ``diagnostics`` is an error, else 0."""
    sys.exit(Exit.ERRORS if has_errors(diagnostics) else Exit.OK)


paths_argument = click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to print diagnostics.",
)
specs_dir_option = click.option(
    "--specs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The specs folder (output paths mirror paths under it). [default: `specs` in the config, else specs]",
)
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A dagfactory.toml or pyproject.toml to use instead of looking one up from the current folder.",
)
strict_option = click.option(
    "--warnings-as-errors/--no-warnings-as-errors",
    "--strict/--no-strict",
    default=None,
    help="Treat warnings (deprecations, secrets) as errors. [default: `warnings_as_errors` in the config, else off]",
)
airflow_option = click.option(
    "--airflow",
    type=click.Choice(["3", "2"]),
    default=None,
    help="The Airflow major to compile for. [default: `airflow` in the config, else 3]",
)
jobs_option = click.option(
    "-j",
    "--jobs",
    "jobs_given",
    type=click.IntRange(min=1),
    default=None,
    help="Check (and render) specs in up to N processes, when there are enough specs to pay for it; "
    "1: all in this process. The output is the same either way. [default: the number of CPUs]",
)
out_file_option = click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write here, not stdout."
)


def jobs(given: int | None) -> int:
    """``--jobs``, else every CPU this process may use."""
    from dagfactory.check.jobs import default_jobs

    return given if given is not None else default_jobs()


def spec_options(command: F) -> F:
    """The options of the commands that check specs: PATHS, --format, --specs-dir, --config,
    --strict, --airflow."""
    for option in (airflow_option, strict_option, config_option, specs_dir_option, format_option, paths_argument):
        command = option(command)
    return command


def settings(config_path: Path | None, fmt: str, **overrides: object) -> Config:
    """The project config (given, or looked up from the cwd upward) with CLI options over it."""
    try:
        config = load_config(config_path) if config_path else discover_config(Path.cwd())
    except ConfigError as exc:
        report(exc.diagnostics, fmt)
        click.echo("dagfactory: the configuration file has errors", err=True)
        sys.exit(Exit.USAGE)
    return with_overrides(config, **overrides)


def project_root(config: Config) -> Path:
    """The project's folder: the config file's, else the working directory."""
    return config.source.parent if config.source else Path.cwd()


def spec_files(paths: tuple[Path, ...], config: Config, *, may_be_gone: bool = False) -> list[SpecFile]:
    """The specs named by ``paths``, or every spec in the specs folder."""
    specs_dir = config.specs
    roots = list(paths) or [specs_dir]
    if not paths and not specs_dir.is_dir():
        if may_be_gone:  # git drops a folder with its last file: every spec was deleted
            click.echo(f"note: {specs_dir.as_posix()} does not exist: compiling no specs", err=True)
            return []
        raise click.UsageError(f"no spec paths given and the folder {specs_dir.as_posix()!r} does not exist")
    # Name specs relative to the project (the config file's folder), not the cwd: the name is
    # written into each generated file's header, which must not depend on where you ran from.
    return discover(roots, specs_dir, project_root(config))


_SEVERITY_COLOUR = {"error": "red", "warning": "yellow"}  # in bold


def _use_colour() -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off; pipes and files never get it.
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _colourise(text: str) -> str:
    text = re.sub(
        r"\b(error|warning)(\[DF\d+\])", lambda m: click.style(m[1] + m[2], fg=_SEVERITY_COLOUR[m[1]], bold=True), text
    )
    return re.sub(r"^(  hint:)", lambda m: click.style(m[1], fg="cyan"), text, flags=re.M)


def report(diagnostics: list[Diagnostic], fmt: str) -> None:
    """Print ``diagnostics`` on stdout in ``fmt`` (JSON always prints, even an empty list)."""
    text = render(diagnostics, fmt)
    if fmt == "text" and text and _use_colour():
        text = _colourise(text)
    if text or fmt == "json":
        click.echo(text)


def summary(diagnostics: list[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    return f"{plural(errors, 'error')}, {plural(len(diagnostics) - errors, 'warning')}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def stop_on_errors(diagnostics: list[Diagnostic], fmt: str = "text", warnings_to_stderr: bool = False) -> None:
    """For commands whose stdout is their product (a graph, a list): exit 1 with the report when
    any spec has an error; otherwise print the warnings on stderr, if asked, and go on."""
    if has_errors(diagnostics):
        report(diagnostics, fmt)
        click.echo(f"dagfactory: {summary(diagnostics)}", err=True)
        sys.exit(Exit.ERRORS)
    if diagnostics and warnings_to_stderr:
        click.echo(render(diagnostics, "text"), err=True)


def write_or_print(text: str, out: Path | None) -> None:
    """The command's product, on stdout or into ``out``."""
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        click.echo(f"dagfactory: error: cannot write {out.as_posix()}: {exc.strerror or exc}", err=True)
        sys.exit(Exit.ERRORS)
    click.echo(f"wrote {out.as_posix()}", err=True)
