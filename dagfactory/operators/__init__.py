"""The operator catalog: data, one entry per operator.

An entry says how to import the operator, which provider distribution ships it,
and every argument it accepts with its type. The JSON Schema's operator part,
the validator's argument checks and the renderer's value conversion are all
derived from these entries, so they cannot drift apart.

Argument types (``Arg.kind``):

=============  ==============================================================
``string``     a string
``integer``    a whole number
``number``     an integer or a float
``boolean``    ``true`` / ``false``
``duration``   ``30s``, ``5m``, ``1h30m``, ``PT5M`` or seconds -> ``timedelta``
``callable``   ``package.module:function`` -> an import of that function
``callables``  one ``callable`` or a list of them
``strings``    a string or a list of strings
``list``       a list of plain values
``mapping``    a mapping of plain values
``any``        any plain value
=============  ==============================================================

An argument with ``file_suffix`` (``.sql``) also accepts a path to such a file,
relative to the spec: the compiler reads it and embeds its text, so the
generated DAG is self-contained. ``emit_as`` renames an argument in the
generated call (an old spelling users know, emitted as the current name).
"""

from __future__ import annotations

from typing import Any

from dagfactory.operators import amazon, core, http, sensors, sql
from dagfactory.operators.base import COMMON_ARGS, TASK_ONLY_ARGS, Operator, class_path_arg_kind


def _load_catalog() -> dict[str, Operator]:
    entries = [*core.OPERATORS, *sql.OPERATORS, *amazon.OPERATORS, *http.OPERATORS, *sensors.OPERATORS]
    return {op.name: op for op in entries}


CATALOG: dict[str, Operator] = _load_catalog()


_TASK_ARG_KINDS: dict[str, str] = {a.name: a.kind for a in COMMON_ARGS + TASK_ONLY_ARGS}


def task_arg_kinds(task: dict[str, Any]) -> dict[str, str]:
    """How each argument of ``task`` is read (``duration``, ``callable``, ...): the common and
    task-only arguments, then its catalog operator's, or, for a class path, the free arguments
    :func:`class_path_arg_kind` recognises. One answer for the validator and the model."""
    operator = task.get("operator")
    op = CATALOG.get(operator) if isinstance(operator, str) else None
    kinds = dict(_TASK_ARG_KINDS)
    if op:
        kinds |= {a.name: a.kind for a in op.args}
    elif isinstance(operator, str):  # a class path: its free arguments are read by name
        kinds |= {k: kind for k in task if k not in kinds and (kind := class_path_arg_kind(k))}
    return kinds
