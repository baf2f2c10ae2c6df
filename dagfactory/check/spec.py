"""Validate a loaded spec: JSON Schema first, then the checks a schema cannot express.

Every problem becomes a :class:`Diagnostic` at the key or value it is about.
This module never imports Airflow or Jinja2: it is what pre-commit runs.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dagfactory.check.mapping import empty_problem, key_problem
from dagfactory.check.quickcheck import Predicate, compile_schema
from dagfactory.check.references import is_reference
from dagfactory.check.schema import (
    CLASS_PATH_PATTERN,
    XCOM_PROPERTIES,
    build_schema,
)
from dagfactory.check.schema_hints import TYPE_WORDS, missing_key_hint, schema_hint, unknown_key_hint
from dagfactory.check.semantics import check_semantics
from dagfactory.diagnostics import Diagnostic, closest, did_you_mean
from dagfactory.load.document import Document, JsonPath
from dagfactory.operators import CATALOG
from dagfactory.operators.taskflow import FLAVOURS
from dagfactory.targets import DEFAULT as DEFAULT_TARGET
from dagfactory.targets import Target, allows_schema_error, check_target

if TYPE_CHECKING:
    import jsonschema

CLASS_PATH = re.compile(CLASS_PATH_PATTERN)
_JSON_TYPES = {
    dict: "mapping",
    list: "list",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


@functools.lru_cache(maxsize=1)
def _schemas() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The published schema, split for speed: one schema for the spec with each task
    checked only for its ``operator``, and one per operator definition.

    The published schema selects a task's operator definition with an ``if``/``then``
    per catalog entry (what editors need); applying that to every task costs one ``if``
    per catalog entry per task. Dispatching on ``operator`` in Python checks the same
    definitions, taken from the same schema, in one step.
    """
    schema = build_schema()
    defs = schema["$defs"]
    task = {k: v for k, v in defs["task"].items() if k != "allOf"}
    spec_schema = _inline_refs({k: v for k, v in schema.items() if k != "$defs"}, {**defs, "task": task})
    per_operator = {
        name[len("operator_") :]: _inline_refs(definition, defs)
        for name, definition in defs.items()
        if name.startswith("operator_")
    } | {name: _inline_refs(definition, defs) for name, definition in defs.items() if name.startswith("taskflow_")}
    return spec_schema, per_operator


@functools.lru_cache(maxsize=1)
def _validators() -> tuple[jsonschema.Draft202012Validator, dict[str, jsonschema.Draft202012Validator]]:
    """jsonschema validators for :func:`_schemas`: imported only when a spec may be invalid."""
    import jsonschema

    spec_schema, per_operator = _schemas()
    validators = {key: jsonschema.Draft202012Validator(schema) for key, schema in per_operator.items()}
    return jsonschema.Draft202012Validator(spec_schema), validators


@functools.cache
def _quick(operator_key: str | None) -> Predicate:
    """The fast valid-or-unsure check for the spec (``None``) or for one operator's task body."""
    spec_schema, per_operator = _schemas()
    return compile_schema(spec_schema if operator_key is None else per_operator[operator_key])


def _operator_key(task: Any) -> str | None:
    """Which operator definition checks ``task``: a catalog name, ``class_path``, ``taskflow_FLAVOUR``,
    or None when the operator (or flavour) is missing or unknown (the spec schema reports that)."""
    if isinstance(task, dict) and "task" in task:
        flavour = task["task"]
        return f"taskflow_{flavour}" if isinstance(flavour, str) and flavour in FLAVOURS else None
    operator = task.get("operator") if isinstance(task, dict) else None
    if not isinstance(operator, str):
        return None
    return operator if operator in CATALOG else "class_path" if CLASS_PATH.match(operator) else None


def _known_valid(data: dict[str, Any]) -> bool:
    """True when the quick check proves the whole spec valid: jsonschema is then not needed."""
    if not _quick(None)(data):
        return False
    for task in data["tasks"].values():  # the spec schema requires a mapping of tasks
        key = _operator_key(task)
        if key is None or not _quick(key)(task):
            return False
    return True


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every local ``$ref`` replaced by its definition (ours never recurse):
    resolving references is most of jsonschema's cost on a valid spec."""
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = _inline_refs(defs[node["$ref"].removeprefix("#/$defs/")], defs)
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return {key: _inline_refs(value, defs) for key, value in node.items()}


def _schema_errors(data: dict[str, Any]) -> Iterator[tuple[JsonPath, jsonschema.ValidationError]]:
    """Every schema error with its path from the spec's root."""
    if _known_valid(data):
        return
    spec_validator, per_operator = _validators()
    for error in spec_validator.iter_errors(data):
        yield tuple(error.absolute_path), error
    tasks = data.get("tasks")
    if not isinstance(tasks, dict):
        return
    for task_id, task in tasks.items():
        key = _operator_key(task)
        if key is None:
            continue  # missing or unknown operator: reported once, by the spec validator
        for relative, error in _task_errors(key, task, per_operator[key]):
            yield ("tasks", task_id, *relative), error


_TASK_MEMO: dict[tuple[str, str], list[tuple[JsonPath, jsonschema.ValidationError]]] = {}


def _task_errors(
    key: str, task: dict[str, Any], validator: jsonschema.Draft202012Validator
) -> list[tuple[JsonPath, jsonschema.ValidationError]]:
    """Schema errors of one task body. Pipelines repeat task bodies (the same operator with
    the same arguments), so results are remembered by content for the rest of the run."""
    try:
        body = json.dumps(task, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError):
        body = None
    if body is not None and (key, body) in _TASK_MEMO:
        return _TASK_MEMO[(key, body)]
    errors = [(tuple(error.absolute_path), error) for error in validator.iter_errors(task)]
    if body is not None and len(_TASK_MEMO) < 10_000:
        _TASK_MEMO[(key, body)] = errors
    return errors


def check_document(doc: Document, target: Target = DEFAULT_TARGET) -> list[Diagnostic]:
    """All problems in one loaded spec (schema and semantic) when compiled for ``target``, unsorted."""
    if not isinstance(doc.data, dict):
        found = _JSON_TYPES.get(type(doc.data), "value")
        return [
            doc.diagnostic(
                (),
                "DF103",
                f"a spec must be a mapping of keys, not a {found}",
                hint="a spec starts with keys such as description:, owner: and tasks:",
            )
        ]
    errors = [(p, e) for p, e in _schema_errors(doc.data) if not allows_schema_error(target, p, _keyword(e))]
    misspelt = {(path, key) for path, error in errors for key in _suggested_keys(error)}
    diagnostics: list[Diagnostic] = []
    for path, error in errors:
        if error.validator == "required" and (path, _missing_key(error)) in misspelt:
            continue  # the missing key is most likely the misspelt one, already reported
        diagnostics.extend(_schema_error(doc, path, error))
    semantic = check_semantics(doc)
    if not target.deprecated_task_args:  # DF207 warns of Airflow 3 deprecations only
        semantic = [d for d in semantic if d.code != "DF207"]
    # One problem, one report: a value the schema refused is not reported again by the semantic checks.
    flagged = {(d.line, d.column) for d in diagnostics}
    return diagnostics + [d for d in semantic + check_target(doc, target) if (d.line, d.column) not in flagged]


def _suggested_keys(error: jsonschema.ValidationError) -> Iterator[str]:
    """The known keys an unknown-key error suggests (``ownr`` -> ``owner``)."""
    schema = _subschema(error)
    if _keyword(error) in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = _allowed_keys(schema)
        for key in set(error.instance) - set(schema.get("properties", {})):
            suggestion = closest(key, allowed)
            if suggestion is not None:
                yield suggestion


def _allowed_keys(schema: Mapping[str, Any]) -> list[str]:
    """The keys a hint may suggest: ``sla`` is refused in Airflow 3 and ``operator`` never misspelt."""
    return [a for a in sorted(schema.get("properties", {})) if a not in ("sla", "operator")]


def _keyword(error: jsonschema.ValidationError) -> str:
    """The schema keyword that failed; "" for a ``false`` schema, which has none."""
    return error.validator if isinstance(error.validator, str) else ""


def _subschema(error: jsonschema.ValidationError) -> Mapping[str, Any]:
    """The schema object holding the failed keyword; empty for a boolean schema."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _missing_key(error: jsonschema.ValidationError) -> str:
    return error.message.split("'")[1] if "'" in error.message else str(error.message)


# --- schema errors -> diagnostics ---------------------------------------------------------


def _where(path: JsonPath) -> str:
    if len(path) >= 2 and path[0] == "tasks":
        inner = ".".join(str(p) for p in path[2:])
        return f"task {path[1]!r}" + (f" ({inner})" if inner else "")
    return ".".join(str(p) for p in path) or "the spec"


def _schema_error(doc: Document, path: JsonPath, error: jsonschema.ValidationError) -> Iterator[Diagnostic]:
    kind, schema = _keyword(error), _subschema(error)
    instance: Any = error.instance  # the JSON value the keyword refused
    if schema.get("properties") == XCOM_PROPERTIES and isinstance(instance, dict) and "xcom" not in instance:
        # A mapping where a templated argument takes a value or a reference: a type error, unless
        # one of its keys is a misspelt `xcom` (then reported as that, by the unknown-key branch).
        if kind == "required":
            wanted = [t for t in schema["type"] if t != "object"]
            words = " or ".join(TYPE_WORDS[t] for t in wanted)
            yield doc.diagnostic(
                path,
                "DF103",
                f"{_where(path)} must be {words}, not mapping {_short(instance)}",
                hint="a mapping here is a reference to another task's result: {xcom: task_id, key: name}",
            )
            return
        if not any(True for _ in _suggested_keys(error)):
            return
    if kind in ("additionalProperties", "unevaluatedProperties") and _mapped_arguments(path):
        if is_reference(instance):  # `expand: {xcom: ...}`: a misplaced reference (DF309, check/references.py)
            return
        for key in sorted(set(instance) - set(schema.get("properties", {}))):
            unmappable = key_problem(doc, path, key)
            yield unmappable or _unknown_key(doc, path, key, sorted(schema.get("properties", {})))
        return
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(allowed)):
            yield _unknown_key(doc, path, key, allowed)
    elif kind in ("minItems", "minProperties") and _mapped_values(path) and not instance:
        yield empty_problem(doc, path)
    elif kind == "required":
        missing = _missing_key(error)
        what = "required argument" if len(path) == 2 and path[0] == "tasks" else "required key"
        yield doc.diagnostic(
            path,
            "DF102",
            f"{_where(path)} is missing {what} {missing!r}",
            key=True,
            hint=_argument_description(doc, path, missing) or missing_key_hint(path, missing, schema),
        )
    elif kind == "type":
        wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        words = " or ".join(TYPE_WORDS[t] for t in wanted)
        found = _JSON_TYPES.get(type(instance), "value")
        hint = schema_hint(path, kind, schema, instance)
        if isinstance(instance, dict) and "xcom" in instance:
            hint = (
                "another task's result ({xcom: ...}) may stand only in an operator's templated arguments "
                "and a TaskFlow task's `args:`"
            )
        yield doc.diagnostic(
            path, "DF103", f"{_where(path)} must be {words}, not {found} {_short(instance)}", hint=hint
        )
    elif kind == "anyOf" and path[-1:] == ("operator",) and isinstance(instance, str):
        yield doc.diagnostic(
            path,
            "DF104",
            f"unknown operator {instance!r}",
            hint=did_you_mean(instance, sorted(CATALOG))
            or f"use one of {', '.join(sorted(CATALOG))}, or a full class path",
        )
    elif kind in ("enum", "const"):
        choices = [str(c) for c in schema.get("enum", [schema.get("const")])]
        yield doc.diagnostic(
            path,
            "DF104",
            f"{_where(path)}: {_short(instance)} is not one of {', '.join(choices)}",
            hint=did_you_mean(str(instance), choices) or schema_hint(path, kind, schema, instance),
        )
    elif kind == "pattern" and "propertyNames" in error.schema_path and isinstance(instance, str):
        what = "task id" if path == ("tasks",) else "group id" if path == ("groups",) else "name"
        yield doc.diagnostic(
            (*path, instance),
            "DF105",
            f"{_where(path)}: {what} {_short(instance)} is not valid",
            key=True,
            hint=schema_hint(path, kind, schema, instance),
        )
    elif kind == "pattern":
        yield doc.diagnostic(
            path,
            "DF105",
            f"{_where(path)}: {_short(instance)} is not valid",
            hint=schema_hint(path, kind, schema, instance),
        )
    elif kind == "not" and path[-1:] == ("sla",):
        yield doc.diagnostic(
            path,
            "DF101",
            "`sla` was removed in Airflow 3",
            key=True,
            hint="use execution_timeout, or a deadline alert configured in Airflow",
        )
    elif kind in (
        "minimum",
        "maximum",
        "minItems",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "uniqueItems",
    ):
        yield doc.diagnostic(
            path, "DF106", f"{_where(path)}: {error.message}", hint=schema_hint(path, kind, schema, instance)
        )
    else:
        yield doc.diagnostic(
            path, "DF105", f"{_where(path)}: {error.message}", hint=schema_hint(path, kind, schema, instance)
        )


def _mapped_arguments(path: JsonPath) -> bool:
    """Whether ``path`` holds mapped arguments: a task's ``expand``, or an ``expand_kwargs`` item."""
    return len(path) >= 3 and path[0] == "tasks" and (path[2:] == ("expand",) or path[2::2] == ("expand_kwargs",))


def _mapped_values(path: JsonPath) -> bool:
    """Whether ``path`` is what a task is mapped over: its ``expand``, a list in it, or ``expand_kwargs``."""
    return len(path) >= 3 and path[0] == "tasks" and path[2] in ("expand", "expand_kwargs") and len(path) <= 4


def _argument_description(doc: Document, path: JsonPath, name: str) -> str | None:
    """A catalog argument's description, for the hint of its DF102 (the schema requires it in an ``else``)."""
    if len(path) != 2 or path[0] != "tasks":
        return None
    task = _get(doc.data, path)
    operator = task.get("operator") if isinstance(task, dict) else None
    entry = CATALOG.get(operator) if isinstance(operator, str) else None
    arg = entry.arg(name) if entry is not None else None
    return arg.description if arg is not None else None


def _unknown_key(doc: Document, path: JsonPath, key: str, allowed: list[str]) -> Diagnostic:
    operator = flavour = None
    if len(path) == 2 and path[0] == "tasks":
        task = _get(doc.data, path)
        operator = task.get("operator") if isinstance(task, dict) else None
        flavour = task.get("task") if isinstance(task, dict) else None
    what = f"argument {key!r} for operator {operator!r}" if operator else f"key {key!r}"
    if isinstance(flavour, str) and not operator:
        what = f"argument {key!r} for a TaskFlow task ({flavour})"
    elif isinstance(flavour, str) and key in ("operator", "task"):
        what = f"key {key!r}: the task has both `operator:` and `task:`"
    hint = did_you_mean(key, _allowed_keys({"properties": dict.fromkeys(allowed)}))
    if key in ("operator", "task") and isinstance(flavour, str) and operator is not None:
        hint = "a task has either `operator:` (an operator class) or `task:` and `callable:` (a TaskFlow task)"
    if key == "schedule_interval":
        hint = "Airflow 3 removed schedule_interval; use `schedule:`"
    if key == "branches" and operator == "short_circuit":
        hint = (
            "short_circuit has no branches to name: when its callable returns a falsy value it skips "
            "its downstream tasks; use branch_python to choose between tasks"
        )
    elif key == "branches" and isinstance(operator, str) and hint is None:
        hint = "only a branch_python task names its branches: make it one, or remove `branches:`"
    return doc.diagnostic(
        (*path, key),
        "DF101",
        f"{_where(path)}: unknown {what}",
        key=True,
        hint=hint
        or (f"allowed: {', '.join(a for a in allowed if a != 'sla')}" if len(allowed) <= 12 else None)
        or unknown_key_hint(path, operator),
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _get(data: Any, path: JsonPath) -> Any:
    for part in path:
        data = data[part]
    return data
