"""``dagfactory new``: a starter spec that validates and compiles as written.

The starter carries the ``$schema`` comment (editors then complete and check
keys), every required field with a placeholder that passes validation, and
whatever the project's policy switches require.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from dagfactory.emit.writer import outside_folder
from dagfactory.load.config import Config
from dagfactory.operators import CATALOG

SCHEMA_FILE = PurePosixPath("schemas/pipeline.schema.json")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")  # Airflow's rule for a dag_id

# One example task per operator the command offers; each passes that operator's checks.
_TASKS = {
    "bash": """\
  hello:
    operator: bash
    bash_command: echo "Hello from {{ dag.dag_id }} for {{ ds }}"
""",
    "python": """\
  run:
    operator: python
    python_callable: my_project.tasks:run  # package.module:function, importable by Airflow
""",
    "sql": """\
  query:
    operator: sql
    conn_id: my_database  # an Airflow connection id
    sql: SELECT 1
""",
}
_LINEAGE = """\
lineage:                       # the data this pipeline reads and writes
  inputs: [postgres://warehouse/analytics/sales/orders]
  outputs: [s3://my-bucket/reports/{name}.csv]
"""


class ScaffoldError(Exception):
    """The starter cannot be written; the message says why."""


class BadName(ScaffoldError):
    """NAME itself is wrong (bad usage): absolute, with `..`, or not a dag_id."""


def operators() -> list[str]:
    """The operators ``new`` offers: sql only once the catalog has it."""
    return [name for name in _TASKS if name in CATALOG]


def spec_path(name: str, specs_dir: Path) -> Path:
    """``NAME`` (may include sub-folders, with or without .yaml) -> the spec file to write."""
    relative = PurePosixPath(name.removesuffix(".yaml").removesuffix(".yml"))
    if relative.is_absolute() or any(part in ("", ".", "..") for part in relative.parts):
        raise BadName(f"{name!r} must be a relative name such as daily_sales or marketing/daily_sales")
    if not _NAME.match(relative.name) or any(part.startswith(("_", ".")) for part in relative.parts):
        raise BadName(
            f"{relative.name!r} cannot be a dag_id: use letters, digits, '_', '-', '.'; "
            "names starting with '_' or '.' are not specs"
        )
    return specs_dir / f"{relative}.yaml"


def starter_text(name: str, operator: str, schema_ref: str, config: Config) -> str:
    lineage = _LINEAGE.format(name=name) if config.require_lineage else ""
    return f"""\
# yaml-language-server: $schema={schema_ref}
# A starter spec: replace the placeholders, then run `dagfactory compile`.
description: What {name} produces, and why  # shown in the Airflow UI
owner: data-eng                # the technical owner (Airflow `owner`)
business_owner:                # who asked for this data
  name: Analytics
  email: analytics@example.com
schedule: "@daily"             # a preset, a cron string, null, {{every: 3d}} or {{assets: [...]}}
start_date: 2024-01-01
catchup: false
tags: [starter]
{lineage}tasks:                         # task ids are the keys
{_TASKS[operator]}"""


def write_starter(name: str, operator: str, config: Config, project_root: Path) -> Path:
    """Write the starter spec for ``name``; never overwrites an existing file."""
    if operator not in operators():
        raise ScaffoldError(f"unknown operator {operator!r}: use one of {', '.join(operators())}")
    target = spec_path(name, config.specs)
    # a linked sub-folder that leads elsewhere would make `new` write (and create folders) outside it
    outside = outside_folder(target, config.specs)
    if outside is not None:
        raise ScaffoldError(outside)
    if os.path.lexists(target):  # a dangling link too: "x" would refuse it with a less clear error
        raise ScaffoldError(f"{target.as_posix()} already exists; refusing to overwrite it")
    schema = project_root / SCHEMA_FILE
    schema_ref = Path(os.path.relpath(schema.resolve(), target.parent.resolve())).as_posix()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8", newline="\n") as handle:  # "x": a racing writer loses, not the user
        handle.write(starter_text(target.stem, operator, schema_ref, config))
    return target
