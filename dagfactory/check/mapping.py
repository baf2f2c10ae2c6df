"""Dynamic task mapping: a task's ``expand:`` and ``expand_kwargs:``.

``expand`` maps argument names to lists: Airflow runs one task instance (map index) per value,
the cross product for several arguments. ``expand_kwargs`` is a list of argument sets, one map
index per set. Every other argument of the task is a *partial* argument, the same for all.

What Airflow maps is the operator's own arguments. The rules, each at the key it is about:

* DF311, an argument that cannot be mapped: ``task_id`` and the other keywords the compiler
  writes; the arguments every operator takes (``retries``, ``pool``, ``trigger_rule``...),
  which Airflow sets once for the whole mapped task (it refuses most of them in ``expand``, and
  reads the others before mapping); the task's own keys (``group``, ``setup``...); an argument
  the catalog operator does not have (with a did-you-mean); an argument given both mapped and
  plain (Airflow: "unmappable or already specified"); ``expand`` with ``expand_kwargs``;
  ``map_index_template`` on a task that is not mapped.
* DF312, nothing Airflow can map over: an empty list or mapping (Airflow would create no map
  index and skip the task), one key of another task's result (Airflow maps over return values only).

A mapped value may be another task's result, ``{xcom: task_id}`` (an ``expand`` argument's whole
value, or ``expand_kwargs`` itself): check/references.py finds it, checks it and makes it an edge.
A TaskFlow task maps its function's keyword arguments; its ``args`` are the partial ones.
* DF102: a catalog operator's required argument, given neither plain nor mapped (in every
  item of a literal ``expand_kwargs``).
"""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from typing import Any

from dagfactory.check.references import KEY, XCOM, is_reference
from dagfactory.diagnostics import Diagnostic, closest, did_you_mean
from dagfactory.load.document import Document, JsonPath
from dagfactory.operators import CATALOG
from dagfactory.operators.base import COMMON_ARGS, RENDERED_ARGS, TASK_ONLY_ARGS

MAPPING_KEYS = ("expand", "expand_kwargs")
# A task's own keys: read by the compiler, never passed to the operator.
TASK_KEYS = frozenset({"operator", "inputs", "outputs", "group", "setup", "teardown", "branches", *MAPPING_KEYS})
# Arguments Airflow sets once for a mapped task: one value for every map index.
ONCE_ARGS = frozenset({a.name for a in COMMON_ARGS + TASK_ONLY_ARGS} | {"sla"})


def is_mapped(task: dict[str, Any]) -> bool:
    return any(key in task for key in MAPPING_KEYS)


def is_taskflow(task: dict[str, Any]) -> bool:
    """A TaskFlow task (``task:`` without ``operator:``): it maps its function's keyword arguments."""
    return "task" in task and "operator" not in task


def mapped_values(task_id: str, task: dict[str, Any]) -> Iterator[tuple[JsonPath, str, Any]]:
    """(path, argument name, value) of each value a task is mapped over: every item of an
    ``expand`` list, every argument of an ``expand_kwargs`` item. Each is typed like the argument."""
    expand = task.get("expand")
    for key, values in expand.items() if isinstance(expand, dict) else ():
        for index, value in enumerate(values) if isinstance(values, list) else ():
            yield ("tasks", task_id, "expand", key, index), key, value
    kwargs = task.get("expand_kwargs")
    for index, item in enumerate(kwargs) if isinstance(kwargs, list) else ():
        for key, value in item.items() if isinstance(item, dict) else ():
            yield ("tasks", task_id, "expand_kwargs", index, key), key, value


def _where(path: JsonPath) -> str:
    """``expand`` or ``expand_kwargs[2]``: where a mapped argument is written."""
    return "expand" if path[2] == "expand" else f"expand_kwargs item {path[3]}"


def key_problem(doc: Document, path: JsonPath, key: str) -> Diagnostic | None:
    """DF311 (or DF105) for argument ``key`` mapped at ``path``: ``("tasks", id, "expand")`` or
    ``("tasks", id, "expand_kwargs", index)``; None when Airflow can map it."""
    task_id = str(path[1])
    task = doc.data["tasks"][task_id]
    operator = task.get("operator")
    entry = CATALOG.get(operator) if isinstance(operator, str) else None
    where = _where(path)

    def problem(message: str, hint: str, code: str = "DF311") -> Diagnostic:
        return doc.diagnostic((*path, key), code, f"task {task_id!r}: {message}", key=True, hint=hint)

    if keyword.iskeyword(key) or key == "__debug__":
        return problem(f"argument name {key!r} cannot be passed in Python", "rename the argument", code="DF105")
    if is_taskflow(task):  # the function's keyword arguments: any name, but not both mapped and in `args`
        args = task.get("args")
        if isinstance(args, dict) and key in args:
            return problem(
                f"`{key}` is given both mapped ({where}) and in `args`",
                f"keep one: remove `{key}` from `args` to map it, or from {where} to give every map index one value",
            )
        return None

    if key == "task_id":
        return problem(
            "`task_id` cannot be mapped",
            "a mapped task keeps its one task id and numbers its instances 0, 1, ...; "
            "name them in the UI with `map_index_template`",
        )
    if key in RENDERED_ARGS:
        return problem(f"`{key}` cannot be mapped: the compiler sets it", RENDERED_ARGS[key])
    if key in TASK_KEYS:
        message = f"`{key}` is a key of the task, not an operator argument to map"
        return problem(message, f"move `{key}:` out of {where}")
    if key in ONCE_ARGS:
        return problem(
            f"`{key}` cannot be mapped: Airflow sets it once for the whole mapped task",
            f"set `{key}:` as a plain argument of the task: it applies to every map index",
        )
    if entry is not None and entry.arg(key) is None:
        names = [a.name for a in entry.args]
        return problem(
            f"operator {operator!r} has no argument {key!r} to map",
            did_you_mean(key, names) or f"arguments of {operator}: {', '.join(names)}",
        )
    if key in task:
        return problem(
            f"`{key}` is given both mapped ({where}) and as a plain argument",
            f"keep one: remove `{key}:` from the task to map it, or from {where} to give every map index one value",
        )
    return None


def empty_problem(doc: Document, path: JsonPath) -> Diagnostic:
    """DF312 for an empty ``expand`` mapping, ``expand`` list or ``expand_kwargs`` list at ``path``."""
    task_id = path[1]
    if path[2:] == ("expand",):
        message, hint = "`expand` maps no argument", "name an argument and its values, e.g. `bash_command: [...]`"
    elif path[2:] == ("expand_kwargs",):
        message, hint = "`expand_kwargs` is an empty list", "give at least one set of arguments, or remove the task"
    else:
        message = f"expand.{path[3]} is an empty list"
        hint = "give at least one value, or remove the task"
    return doc.diagnostic(
        path, "DF312", f"task {task_id!r}: {message}: Airflow would create no map index and skip the task", hint=hint
    )


def check_mapping(doc: Document) -> list[Diagnostic]:
    """The rules above for every task of a spec (whatever the schema said of it)."""
    tasks = doc.data.get("tasks")
    out: list[Diagnostic] = []
    for task_id, task in tasks.items() if isinstance(tasks, dict) else ():
        if isinstance(task, dict):
            out.extend(_check_task(doc, task_id, task))
    return out


def _check_task(doc: Document, task_id: str, task: dict[str, Any]) -> list[Diagnostic]:
    path: JsonPath = ("tasks", task_id)
    out: list[Diagnostic] = []
    expand, kwargs = task.get("expand"), task.get("expand_kwargs")
    if not is_mapped(task):
        if "map_index_template" in task:
            out.append(
                doc.diagnostic(
                    (*path, "map_index_template"),
                    "DF311",
                    f"task {task_id!r}: map_index_template names the map indexes of a mapped task, "
                    "and this task is not mapped",
                    key=True,
                    hint="map the task with `expand:` or `expand_kwargs:`, or remove map_index_template",
                )
            )
        return out
    if "expand" in task and "expand_kwargs" in task:
        out.append(
            doc.diagnostic(
                (*path, "expand_kwargs"),
                "DF311",
                f"task {task_id!r} has both `expand` and `expand_kwargs`",
                key=True,
                hint="use one: `expand` maps each argument over its list (several: every combination), "
                "`expand_kwargs` maps over a list of argument sets",
            )
        )
    out.extend(_results(doc, task_id, expand, kwargs))
    sets: list[tuple[JsonPath, dict[str, Any]]] = []
    if isinstance(expand, dict) and not is_reference(expand):  # a reference there: references.py says so
        sets.append(((*path, "expand"), expand))
    if isinstance(kwargs, list):
        sets += [((*path, "expand_kwargs", i), item) for i, item in enumerate(kwargs) if isinstance(item, dict)]
    for where, mapped in sets:
        for key in mapped:
            found = key_problem(doc, where, key)
            if found is not None:
                out.append(found)
    literal = isinstance(expand, (dict, type(None))) and isinstance(kwargs, (list, type(None)))
    out.extend(_required(doc, task_id, task, sets, literal=literal))
    return out


def _results(doc: Document, task_id: str, expand: Any, kwargs: Any) -> list[Diagnostic]:
    """DF312 for a task mapped over one key of another task's result: Airflow maps over a task's
    return value only ("cannot map over XCom with custom key")."""
    found: list[tuple[JsonPath, dict[str, Any]]] = []
    if isinstance(expand, dict) and not is_reference(expand):
        found += [(("tasks", task_id, "expand", k), v) for k, v in expand.items() if is_reference(v)]
    if is_reference(kwargs):
        found.append((("tasks", task_id, "expand_kwargs"), kwargs))
    return [
        doc.diagnostic(
            (*where, KEY),
            "DF312",
            f"task {task_id!r} is mapped over key {ref[KEY]!r} of {ref[XCOM]!r}'s result: "
            "Airflow maps only over a task's return value",
            key=True,
            hint=f"map over {{xcom: {ref[XCOM]}}}: make {ref[XCOM]!r} return the list itself",
        )
        for where, ref in found
        if KEY in ref
    ]


def _required(
    doc: Document, task_id: str, task: dict[str, Any], sets: list[tuple[JsonPath, dict[str, Any]]], literal: bool
) -> list[Diagnostic]:
    """DF102 for a catalog operator's required argument a mapped task gives nowhere: not as a
    plain argument, not in ``expand``, not in every literal ``expand_kwargs`` item."""
    operator = task.get("operator")
    entry = CATALOG.get(operator) if isinstance(operator, str) else None
    if entry is None or not literal:
        return []
    out: list[Diagnostic] = []
    for arg in entry.args:
        if not arg.required or arg.name in task:
            continue
        expand_sets = [m for where, m in sets if where[2] == "expand"]
        if any(arg.name in m or any(entry.arg(k) is None and closest(k, [arg.name]) for k in m) for m in expand_sets):
            continue  # mapped, or most likely mapped under a misspelt name (reported as DF311)
        items = [(where, m) for where, m in sets if where[2] == "expand_kwargs"]
        if "expand_kwargs" in task and items:
            for where, item in items:
                if arg.name not in item:
                    out.append(
                        doc.diagnostic(
                            where,
                            "DF102",
                            f"task {task_id!r}: expand_kwargs item {where[3]} lacks required argument {arg.name!r}",
                            hint="give it in every item, or once as a plain argument of the task",
                        )
                    )
            continue
        if "expand_kwargs" in task:
            continue  # not a list of mappings: the schema says so
        out.append(
            doc.diagnostic(
                ("tasks", task_id),
                "DF102",
                f"task {task_id!r} is missing required argument {arg.name!r}",
                key=True,
                hint=f"give it as a plain argument, or map it under `expand:` ({arg.description})",
            )
        )
    return out
