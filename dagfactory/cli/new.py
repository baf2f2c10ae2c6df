"""``dagfactory new``: write a starter spec that compiles as is."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dagfactory.cli.options import Exit, config_option, project_root, settings, specs_dir_option


@click.command(name="new")
@click.argument("name")
@click.option(
    "--operator",
    type=click.Choice(["bash", "python", "sql"]),
    default="bash",
    show_default=True,
    help="The operator of the starter task.",
)
@specs_dir_option
@config_option
def new_command(name: str, operator: str, specs_dir: Path | None, config_path: Path | None) -> None:
    """Write a starter spec NAME.yaml into the specs folder; it compiles as is.

    NAME becomes the dag_id and may include sub-folders. Never overwrites a file.

    \b
    Example:
      dagfactory new marketing/daily_sales --operator python
    """
    from dagfactory.emit.starter import BadName, ScaffoldError, write_starter

    config = settings(config_path, "text", specs=specs_dir)
    try:
        target = write_starter(name, operator, config, project_root(config))
    except (ScaffoldError, OSError) as exc:
        click.echo(f"dagfactory new: error: {exc}", err=True)
        sys.exit(Exit.USAGE if isinstance(exc, BadName) else Exit.ERRORS)
    click.echo(f"wrote {target.as_posix()}: edit it, then run `dagfactory compile`", err=True)
