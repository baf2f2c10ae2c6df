"""``dagfactory schema``: the JSON Schema of a spec, for editors."""

from __future__ import annotations

import click


@click.command(name="schema")
def schema_command() -> None:
    """Print the JSON Schema (Draft 2020-12) of a pipeline spec.

    \b
    Example:
      dagfactory schema > schemas/pipeline.schema.json
    """
    from dagfactory.check.schema import schema_json

    click.echo(schema_json(), nl=False)
