"""Argument rules beyond the schema: ``.sql`` files read at compile time, renamed arguments.

Shared by the validator (which reports problems at the value's line) and the
model (which embeds the file text), so both agree on what a file reference is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagfactory.load.document import Document, JsonPath
from dagfactory.load.files import FileScope, read_reference, resolve_reference, scope_of
from dagfactory.operators import CATALOG
from dagfactory.operators.base import Arg, Operator

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


def file_references(task_id: str, task: dict[str, Any], entry: Operator) -> Iterator[tuple[JsonPath, Arg, str]]:
    """(path of the value, its argument, file name) of every file reference in one catalog task:
    its arguments, then the values it is mapped over (``expand`` lists, ``expand_kwargs`` items)."""
    for arg in entry.args:
        for inner, name in references(arg, task.get(arg.name)):
            yield ("tasks", task_id, arg.name, *inner), arg, name
    expand = task.get("expand")
    for key, values in expand.items() if isinstance(expand, dict) else ():
        mapped = entry.arg(key)
        if mapped is not None and isinstance(values, list):
            for position, value in enumerate(values):  # one value per map index: each may name a file
                for inner, name in references(mapped, value):
                    yield ("tasks", task_id, "expand", key, position, *inner), mapped, name
    kwargs = task.get("expand_kwargs")
    for position, item in enumerate(kwargs) if isinstance(kwargs, list) else ():
        for key, value in item.items() if isinstance(item, dict) else ():
            mapped = entry.arg(key)
            if mapped is not None:
                for inner, name in references(mapped, value):
                    yield ("tasks", task_id, "expand_kwargs", position, key, *inner), mapped, name


def task_references(data: Any) -> Iterator[tuple[JsonPath, str]]:
    """(path of the value, file name) of every file reference in a spec's catalog tasks, in order:
    what the secrets lint scans and the cache watches."""
    tasks = data.get("tasks") if isinstance(data, dict) else None
    for task_id, task in tasks.items() if isinstance(tasks, dict) else ():
        operator = task.get("operator") if isinstance(task, dict) else None
        entry = CATALOG.get(operator) if isinstance(operator, str) else None
        if entry is not None:
            for path, _, name in file_references(task_id, task, entry):
                yield path, name


def read_referenced(scope: FileScope, name: str) -> str:
    """The file's text, exactly: its bytes as UTF-8 without a leading BOM, line endings kept
    (a CRLF file embeds CRLF). ValueError with a message a user can act on.

    Files are relative to the spec's folder, like an include, whatever the working directory,
    and must stay in ``scope`` (see :mod:`dagfactory.load.files`).
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


def referenced_files(doc: Document) -> list[Path]:
    """Files a spec's output depends on besides the spec: shared defaults and embedded files,
    as named (the cache notices a link that now points elsewhere: see ``cache._file_sha``).

    Decided by the same :func:`~dagfactory.load.files.resolve_reference` as validate and the model;
    a reference it refuses is an error, so a compile that reaches the cache has none.
    """
    scope = scope_of(doc)
    found: list[Path] = list(doc.inputs)
    for _, name in task_references(doc.data):
        try:
            found.append(resolve_reference(scope, name).named)
        except ValueError:
            continue
    return found
