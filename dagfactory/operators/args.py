"""Argument rules beyond the schema: ``.sql`` files read at compile time, renamed arguments.

Shared by the validator (which reports problems at the value's line) and the
model (which embeds the file text), so both agree on what a file reference is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.files import FileScope, read_reference, scope_of
from dagfactory.loader import Document, JsonPath
from dagfactory.operators import CATALOG, Arg, Operator

_BOM = "\ufeff"


def is_file_reference(arg: Arg, value: Any) -> bool:
    """A one-line string ending in the argument's suffix names a file (``queries/load.sql``)."""
    if not arg.file_suffix or not isinstance(value, str):
        return False
    text = value.strip()
    return text.endswith(arg.file_suffix) and "\n" not in text and len(text) > len(arg.file_suffix)


def references(arg: Arg, value: Any) -> list[tuple[tuple[int, ...], str]]:
    """(index path inside the value, file name) of every file reference in a value or list."""
    if isinstance(value, list):
        return [((i,), item) for i, item in enumerate(value) if is_file_reference(arg, item)]
    return [((), value)] if is_file_reference(arg, value) else []


def task_references(data: Any) -> Iterator[tuple[JsonPath, str]]:
    """(path of the value, file name) of every file reference in a spec's catalog tasks, in order:
    what the secrets lint scans and the cache watches."""
    tasks = data.get("tasks") if isinstance(data, dict) else None
    for task_id, task in tasks.items() if isinstance(tasks, dict) else ():
        operator = task.get("operator") if isinstance(task, dict) else None
        entry = CATALOG.get(operator) if isinstance(operator, str) else None
        for arg in entry.args if entry else ():
            for index, name in references(arg, task.get(arg.name)):
                yield ("tasks", task_id, arg.name, *index), name


def read_referenced(scope: FileScope, name: str) -> str:
    """The file's text, exactly: its bytes as UTF-8 without a leading BOM, line endings kept
    (a CRLF file embeds CRLF). ValueError with a message a user can act on.

    Files are relative to the spec's folder, like an include, whatever the working directory,
    and must stay in ``scope`` (see :mod:`dagfactory.files`).
    """
    raw = read_reference(scope, name)
    try:
        return raw.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError as exc:
        raise ValueError(f"file {name!r} is not UTF-8: {exc.reason} at byte {exc.start}") from None


def embed_files(scope: FileScope, arg: Arg, value: Any) -> Any:
    """The value with every file reference replaced by the file's text (validated before)."""
    if isinstance(value, list):
        return [read_referenced(scope, v) if is_file_reference(arg, v) else v for v in value]
    return read_referenced(scope, value) if is_file_reference(arg, value) else value


def check_task_args(doc: Document, task_id: str, task: dict[str, Any], op: Operator) -> list[Diagnostic]:
    """Unreadable referenced files, and an argument given under both its names."""
    out: list[Diagnostic] = []
    scope = scope_of(doc)
    for arg in op.args:
        if arg.name not in task:
            continue
        for index, name in references(arg, task[arg.name]):
            try:
                read_referenced(scope, name)
            except ValueError as exc:
                out.append(
                    doc.diagnostic(
                        ("tasks", task_id, arg.name, *index),
                        "DF208",
                        str(exc),
                        hint=f"a string ending in {arg.file_suffix} names a regular file relative to the spec, "
                        "inside the specs folder or a folder of `include_roots`; write the SQL itself otherwise",
                    )
                )
        if arg.emit_as and arg.emit_as in task:
            out.append(
                doc.diagnostic(
                    ("tasks", task_id, arg.name),
                    "DF206",
                    f"task {task_id!r}: {arg.name!r} and {arg.emit_as!r} are the same argument",
                    key=True,
                    hint=f"keep only {arg.emit_as!r}",
                )
            )
    return out
