"""The ``dagfactory`` command line: one module per command. A command parses its options,
calls the stages (:mod:`dagfactory.load`, :mod:`dagfactory.check`, :mod:`dagfactory.emit`,
:mod:`dagfactory.verify`) and reports; :mod:`.options` holds what the commands share,
exit statuses included (0 no errors, 1 errors or drift, 2 bad usage).

Each command imports its stages when it runs: ``validate`` never loads Jinja2 or Airflow.
"""

from __future__ import annotations

import sys

import click

from dagfactory.check.jobs import relax_gc
from dagfactory.cli.check import check_command
from dagfactory.cli.compile import compile_command
from dagfactory.cli.lineage import graph_command, lineage_command
from dagfactory.cli.new import new_command
from dagfactory.cli.options import Exit
from dagfactory.cli.requirements import requirements_command
from dagfactory.cli.schema import schema_command
from dagfactory.cli.validate import validate_command


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


for command in (
    validate_command,
    compile_command,
    schema_command,
    new_command,
    requirements_command,
    check_command,
    lineage_command,
    graph_command,
):
    main.add_command(command)


def run() -> None:
    """Console entry point: never a traceback, whatever happens."""
    relax_gc()
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        click.echo(
            f"dagfactory: error[DF900]: internal compiler error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in dagfactory; please report it with the spec that caused it",
            err=True,
        )
        sys.exit(Exit.ERRORS)
