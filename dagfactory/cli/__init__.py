"""The ``dagfactory`` command line: one module per command. A command parses its options,
calls the stages (:mod:`dagfactory.load`, :mod:`dagfactory.check`, :mod:`dagfactory.emit`,
:mod:`dagfactory.verify`) and reports; :mod:`.options` holds what the commands share,
exit statuses included (0 no errors, 1 errors or drift, 2 bad usage, 130 interrupted).

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
    """Console entry point: never a traceback, whatever happens; Ctrl-C is exit status 130."""
    relax_gc()
    try:
        code = main.main(standalone_mode=False)  # click's errors and Ctrl-C come here to be reported
    except click.exceptions.Abort:  # click's word for Ctrl-C (and end of input at a prompt)
        click.echo("interrupted", err=True)
        sys.exit(Exit.INTERRUPTED)
    except click.ClickException as exc:  # bad usage: the message and usage line click would print
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(Exit.INTERRUPTED)
    except Exception as exc:
        click.echo(
            f"dagfactory: error[DF900]: internal compiler error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in dagfactory; please report it with the spec that caused it",
            err=True,
        )
        sys.exit(Exit.ERRORS)
    sys.exit(code if isinstance(code, int) else Exit.OK)  # --help, --version: click's own status
