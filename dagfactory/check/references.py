"""References to another task's result: ``{xcom: task_id}`` or ``{xcom: task_id, key: name}``.

A reference is a mapping with an ``xcom`` key, written as a value (or nested in a list or
mapping) where Airflow resolves an ``XComArg``: the ``args`` of a TaskFlow task, a
catalog operator's templated arguments, and a class-path operator's own arguments
(``dagfactory check`` checks those against the class's ``template_fields``). Anywhere else
in a task, and anywhere outside the tasks (``params``, ``macros``), it is DF309. A reference
makes the task it names upstream of the task holding it (:func:`reference_edges`; graph.py
looks for cycles through them); an unknown task is DF302 with a did-you-mean, a task naming
itself DF303.

``key`` pulls the XCom the named task pushed under that key: one key of the dict a TaskFlow
task with ``multiple_outputs`` returns, or a key the task's code pushes itself. Airflow
allows it on any task, so it is never refused.

Every function here reads the spec's data only: the one module the model, the graph, the
docs and the dynamic-mapping rules ask what references a spec holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dagfactory.check.schema import IDENTIFIER_PATTERN
from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.load.document import Document, JsonPath
from dagfactory.operators import CATALOG
from dagfactory.operators.base import COMMON_ARGS, TASK_ONLY_ARGS
from dagfactory.operators.taskflow import flavour_of

XCOM = "xcom"
KEY = "key"
_ID = re.compile(IDENTIFIER_PATTERN)
_COMMON = frozenset(a.name for a in COMMON_ARGS + TASK_ONLY_ARGS)
# Keys of a task that the compiler reads itself: never passed to Airflow, never searched.
_STRUCTURE = frozenset({"operator", "task", "callable", "inputs", "outputs", "group", "setup", "teardown", "branches"})
# What a task is mapped over (check/mapping.py): `expand: {name: REFERENCE}` and `expand_kwargs:
# REFERENCE`, on any task; a reference deeper in them (inside a literal list) is misplaced.
MAPPING_FIELDS = frozenset({"expand", "expand_kwargs"})


@dataclass(frozen=True)
class Reference:
    """One well-formed reference: in task ``task_id`` at ``path`` (from the spec's root), to ``source``."""

    task_id: str
    path: JsonPath
    source: str
    key: str | None = None


def is_reference(value: Any) -> bool:
    """Whether ``value`` is written as a reference (a mapping with an ``xcom`` key), well-formed or not."""
    return isinstance(value, dict) and XCOM in value


def well_formed(value: Any) -> bool:
    """A reference with a task id and, optionally, a non-empty string key, and nothing else."""
    if not is_reference(value) or not set(value) <= {XCOM, KEY}:
        return False
    source, key = value[XCOM], value.get(KEY)
    return isinstance(source, str) and bool(_ID.match(source)) and ((key is None and KEY not in value) or _is_key(key))


def _is_key(key: Any) -> bool:
    return isinstance(key, str) and key != ""


def find_references(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """Every mapping written as a reference in ``value`` (itself included), with its path, in
    document order; nothing inside a reference is searched. Iterative: depth never matters."""
    todo: list[tuple[JsonPath, Any]] = [(path, value)]
    while todo:
        where, item = todo.pop()
        if is_reference(item):
            yield where, item
        elif isinstance(item, dict):
            todo.extend(reversed([((*where, k), v) for k, v in item.items()]))
        elif isinstance(item, list):
            todo.extend(reversed([((*where, i), v) for i, v in enumerate(item)]))


def allows_references(task: dict[str, Any], key: str) -> bool | None:
    """Whether a reference may stand in ``task[key]``: True, False, or None when the key is not an
    argument passed to Airflow at all (``group``, ``teardown``, ...: never searched)."""
    if key in MAPPING_FIELDS:
        return True
    if key in _STRUCTURE:
        return None
    if flavour_of(task) is not None and "operator" not in task:
        return key == "args"
    operator = task.get("operator")
    if isinstance(operator, str) and operator in CATALOG:
        arg = CATALOG[operator].arg(key)
        return arg is not None and arg.templated
    return key not in _COMMON  # a class path's own arguments: checked by `dagfactory check`


def _tasks(data: Any) -> dict[str, dict[str, Any]]:
    tasks = data.get("tasks") if isinstance(data, dict) else None
    return {k: v for k, v in tasks.items() if isinstance(v, dict)} if isinstance(tasks, dict) else {}


def _written(data: Any) -> Iterator[tuple[str, str, bool, JsonPath, dict[str, Any]]]:
    """(task, field, allowed, path, mapping) of every reference written in a task's arguments."""
    for tid, task in _tasks(data).items():
        for key, value in task.items():
            allowed = allows_references(task, key)
            if allowed is None:
                continue
            for path, ref in find_references(value, ("tasks", tid, key)):
                # `args:` itself is the keyword arguments, never one value; a task is mapped over a
                # reference as a whole (`expand: {name: ref}`, `expand_kwargs: ref`), not one inside a list
                if key in MAPPING_FIELDS:
                    place = len(path) == 4 if key == "expand" else len(path) == 3
                    yield tid, key, allowed and place, path, ref
                    continue
                yield tid, key, allowed and path != ("tasks", tid, "args"), path, ref


def all_references(data: Any) -> list[Reference]:
    """Every well-formed reference in an allowed place, to any task id (known or not), in spec order."""
    return [
        Reference(tid, path, ref[XCOM], ref.get(KEY))
        for tid, _, allowed, path, ref in _written(data)
        if allowed and well_formed(ref)
    ]


def reference_edges(data: Any) -> list[tuple[tuple[str, str], Reference]]:
    """The edges (source, task) the references imply, each with its first reference, for
    sources that are other tasks of the spec; in spec order."""
    tasks = _tasks(data)
    seen: dict[tuple[str, str], Reference] = {}
    for ref in all_references(data):
        if ref.source in tasks and ref.source != ref.task_id:
            seen.setdefault((ref.source, ref.task_id), ref)
    return list(seen.items())


def check_references(doc: Document) -> list[Diagnostic]:
    """Every misplaced, malformed, unknown or self reference, at the key or value it is about."""
    data = doc.data
    tasks = _tasks(data)
    names = sorted(tasks)
    out: list[Diagnostic] = []
    for tid, key, allowed, path, ref in _written(data):
        if not allowed:
            out.append(_misplaced(doc, tid, key, path, tasks[tid]))
            continue
        problem = _shape_problem(doc, tid, path, ref)
        if problem is not None:
            out.append(problem)
            continue
        source = ref[XCOM]
        where = (*path, XCOM)
        if source not in tasks:
            hint = did_you_mean(source, names) or "name a task under `tasks:`"
            if isinstance(data.get("groups"), dict) and source in data["groups"]:
                hint = f"{source!r} is a task group: a reference names the one task whose result it takes"
            out.append(doc.diagnostic(where, "DF302", f"task {tid!r}: reference to unknown task {source!r}", hint=hint))
        elif source == tid:
            out.append(
                doc.diagnostic(
                    where,
                    "DF303",
                    f"task {tid!r} refers to its own result",
                    hint="a task's result exists only after it ran: refer to an upstream task",
                )
            )
        else:
            out.extend(_source_problems(doc, tid, where, ref, tasks[source]))
    for key, value in data.items() if isinstance(data, dict) else ():
        if key != "tasks":  # DAG-level settings are fixed values, made before any task has run
            for path, _ in find_references(value, (key,)):
                message = f"a reference to a task's result is not allowed in {key!r}, outside the tasks"
                out.append(doc.diagnostic(path, "DF309", message, hint=_OUTSIDE_HINT))
    return out


_OUTSIDE_HINT = (
    "only a task's arguments take another task's result (a TaskFlow task's `args:`, an operator's "
    "templated fields): write the reference in the task that needs it"
)


def _misplaced(doc: Document, tid: str, key: str, path: JsonPath, task: dict[str, Any]) -> Diagnostic:
    if path == ("tasks", tid, "args"):
        hint = "`args:` maps the function's keyword arguments to values: write args: {name: {xcom: task_id}}"
    elif key in MAPPING_FIELDS:
        hint = (
            "map over a task's result as a whole, `expand: {name: {xcom: task_id}}` or "
            "`expand_kwargs: {xcom: task_id}`; a literal list holds plain values"
        )
    elif flavour_of(task) is not None and "operator" not in task:
        hint = "a TaskFlow task takes references in `args:` (the keyword arguments of its function)"
    elif key == "args":
        hint = "`args:` belongs to TaskFlow tasks (`task:` and `callable:`)"
    else:
        operator = task.get("operator")
        fields = []
        if isinstance(operator, str) and operator in CATALOG:
            fields = [a.name for a in CATALOG[operator].args if a.templated]
        hint = "Airflow resolves another task's result only in templated fields" + (
            f"; {operator}'s are: {', '.join(fields)}" if fields else f"; {operator!r} has none"
        )
    return doc.diagnostic(
        path,
        "DF309",
        f"task {tid!r}: a reference to another task's result is not allowed in {key!r}",
        hint=hint,
    )


def _shape_problem(doc: Document, tid: str, path: JsonPath, ref: dict[str, Any]) -> Diagnostic | None:
    hint = "write {xcom: task_id} or {xcom: task_id, key: name}"
    extra = sorted(set(ref) - {XCOM, KEY})
    if extra:
        return doc.diagnostic(
            (*path, extra[0]),
            "DF309",
            f"task {tid!r}: a reference has only `xcom` and `key`, not {extra[0]!r}",
            key=True,
            hint=hint + " (a mapping with an `xcom` key is always a reference)",
        )
    source = ref[XCOM]
    if not isinstance(source, str) or not _ID.match(source):
        return doc.diagnostic(
            (*path, XCOM),
            "DF309",
            f"task {tid!r}: a reference's `xcom` must be a task id, not {_short(source)}",
            hint=hint,
        )
    if KEY in ref and not _is_key(ref[KEY]):
        return doc.diagnostic(
            (*path, KEY),
            "DF309",
            f"task {tid!r}: a reference's `key` must be a non-empty string, not {_short(ref[KEY])}",
            hint="name one key of the task's result, e.g. {xcom: extract, key: rows}",
        )
    return None


def _source_problems(
    doc: Document, tid: str, where: JsonPath, ref: dict[str, Any], source: dict[str, Any]
) -> Iterator[Diagnostic]:
    """A named task that never pushes a result: an empty operator, or do_xcom_push: false (without a key)."""
    name = ref[XCOM]
    if source.get("operator") == "empty":
        yield doc.diagnostic(
            where,
            "DF309",
            f"task {tid!r}: {name!r} is an empty operator, which has no result",
            hint="refer to a task that returns a value",
        )
    elif source.get("do_xcom_push") is False and KEY not in ref:
        yield doc.diagnostic(
            where,
            "DF309",
            f"task {tid!r}: {name!r} sets do_xcom_push: false, so its result is never pushed",
            hint=f"remove do_xcom_push: false from {name!r}",
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
