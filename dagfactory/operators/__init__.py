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

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dagfactory.operators import amazon, core, http, sensors, sql
from dagfactory.operators.base import COMMON_ARGS, TASK_ONLY_ARGS, Operator, class_path_arg_kind
from dagfactory.operators.taskflow import FLAVOURS, flavour_args


def _load_catalog() -> dict[str, Operator]:
    entries = [*core.OPERATORS, *sql.OPERATORS, *amazon.OPERATORS, *http.OPERATORS, *sensors.OPERATORS]
    return {op.name: op for op in entries}


CATALOG: dict[str, Operator] = _load_catalog()


_TASK_ARG_KINDS: dict[str, str] = {a.name: a.kind for a in COMMON_ARGS + TASK_ONLY_ARGS}
# Per catalog operator, built once: a compile reads every task's kinds two or three times.
_OPERATOR_ARG_KINDS: dict[str, Mapping[str, str]] = {
    name: MappingProxyType(_TASK_ARG_KINDS | {a.name: a.kind for a in op.args}) for name, op in CATALOG.items()
}
_FLAVOUR_ARG_KINDS: dict[str, Mapping[str, str]] = {
    name: MappingProxyType(_TASK_ARG_KINDS | {a.name: a.kind for a in flavour_args(f)}) for name, f in FLAVOURS.items()
}


def task_arg_kinds(task: dict[str, Any]) -> Mapping[str, str]:
    """How each argument of ``task`` is read (``duration``, ``callable``, ...): the common and
    task-only arguments, then its catalog operator's, or, for a class path, the free arguments
    :func:`class_path_arg_kind` recognises. One answer for the validator and the model."""
    operator = task.get("operator")
    flavour = task.get("task")
    if isinstance(flavour, str) and flavour in _FLAVOUR_ARG_KINDS and "operator" not in task:
        return _FLAVOUR_ARG_KINDS[flavour]
    if not isinstance(operator, str):
        return MappingProxyType(_TASK_ARG_KINDS)
    if operator in _OPERATOR_ARG_KINDS:
        return _OPERATOR_ARG_KINDS[operator]
    # a class path: its free arguments are read by name
    free = {k: kind for k in task if k not in _TASK_ARG_KINDS and (kind := class_path_arg_kind(k))}
    return MappingProxyType(_TASK_ARG_KINDS | free)
