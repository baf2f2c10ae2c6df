"""What every ``dagfactory`` command shares: options, settings, spec discovery, reporting."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dagfactory.config import Config, ConfigError, discover_config, load_config, with_overrides
from dagfactory.diagnostics import Diagnostic, render

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


def _spec_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the commands that check specs: PATHS, --format, --specs-dir, --config,
    --strict, --airflow."""
    for option in (_airflow, _warnings_as_errors, _config_file, _specs_dir, _format, _paths):
        command = option(command)
    return command


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
