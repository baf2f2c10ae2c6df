"""What to do about a schema error: the hint of every DF1xx diagnostic ``check/spec.py`` makes.

Every schema error says what to write instead. Fields whose fix is not plain from the schema
(teardown, branches, groups, edges, the schedule mapping) have their own hint, looked up by
where the error is; every other error gets one built from the failed keyword and the field's
own schema (its description, bounds or choices). ``tests/check/test_schema_hints.py`` walks
the whole schema and asserts a non-empty hint for every error a spec can produce.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagfactory.check.schema import INT32_MAX, INT32_MIN, PATTERN_HINTS
from dagfactory.load.document import JsonPath

TEARDOWN = (
    "name the setup tasks this task tears down, e.g. `teardown: {setups: [create]}`; a task that tears "
    "nothing down is not a teardown: remove `teardown:`"
)
BRANCHES = (
    "list the task ids the callable may return, each once, e.g. `branches: [full_load, incremental]`, "
    "or remove `branches:` (it is optional)"
)
EDGE = "write a chain such as `a >> [b, c] >> d`, or one labelled edge `{from: a, to: b, label: text}`"
GROUP = "write the group's settings as a mapping (`extract: {tooltip: Pull the files}`), or `extract: {}`"
SCHEDULE = "write a preset (@daily), a cron string, null, `{every: 1h}` or `{assets: [uri, ...]}`"

# Where an error is (the path's last parts, a task's or group's id and list indices as "*") ->
# the hint, whichever keyword failed (a pattern's own hint and YAML 1.2's booleans come first).
FIELD_HINTS: dict[tuple[str, ...], str] = {
    ("task", "teardown"): TEARDOWN,
    ("task", "teardown", "setups"): TEARDOWN,
    ("task", "teardown", "setups", "*"): "write the id of a task under `tasks:` that has `setup: true`",
    ("task", "setup"): "write `setup: true` to make this task a setup, or remove the key",
    ("task", "branches"): BRANCHES,
    ("task", "branches", "*"): "write the id of a task directly downstream of this one",
    ("task", "group"): "write the id of a group declared under `groups:`",
    ("groups",): "write a mapping of group ids to their settings, e.g. `groups: {extract: {}}`",
    ("groups", "*"): GROUP,
    ("groups", "*", "group"): "write the id of the group this group sits in, declared under `groups:`",
    ("groups", "*", "tooltip"): "write the tooltip's text, or remove the key",
    ("groups", "*", "default_args"): "write task arguments as a mapping, e.g. `default_args: {retries: 2}`",
    ("edges",): "write a list of edges, e.g. `edges: [a >> b]`",
    ("edges", "*"): EDGE,
    ("edges", "*", "label"): "write the label's text, or write the edge as a chain `a >> b` without a label",
    ("edges", "*", "from"): "write the id of the upstream task or group",
    ("edges", "*", "to"): "write the id of the downstream task or group",
    ("schedule",): SCHEDULE,
    ("schedule", "assets"): "list at least one asset URI the pipeline waits for, e.g. `{assets: [s3://b/key]}`",
    ("tasks",): "declare at least one task, e.g. `tasks: {hello: {operator: bash, bash_command: echo hi}}`",
    ("business_owner", "email"): "write one address like name@example.com",
}
TYPE_WORDS = {  # a JSON Schema type as the messages and hints name it
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def shape(path: JsonPath) -> tuple[str, ...]:
    """The path with what varies (task and group ids, list indices) abstracted: a task's
    fields start with "task" (``("tasks", "load", "teardown")`` -> ``("task", "teardown")``)."""
    parts = [p if isinstance(p, str) else "*" for p in path]
    if len(parts) >= 2 and parts[0] == "tasks":
        return ("task", *parts[2:])
    if len(parts) >= 2 and parts[0] in ("groups", "pools"):
        return (parts[0], "*", *parts[2:])
    return tuple(parts)


def field_hint(path: JsonPath) -> str | None:
    return FIELD_HINTS.get(shape(path))


def schema_hint(path: JsonPath, kind: str, schema: Mapping[str, Any], instance: Any) -> str:
    """The hint for ``kind`` (the failed JSON Schema keyword) at ``path``: never empty."""
    if kind in ("pattern", "type") and schema.get("pattern") in PATTERN_HINTS:  # a duration, a date, an id
        return PATTERN_HINTS[schema["pattern"]]
    if kind == "type" and isinstance(instance, str) and "boolean" in _types(schema):
        return "YAML 1.2: booleans are only true and false"
    special = field_hint(path)
    if special is not None:
        return special
    if kind == "type":
        return _described(f"write {' or '.join(TYPE_WORDS.get(t, t) for t in _types(schema))} here", schema)
    if kind in ("enum", "const"):
        choices = [str(c) for c in schema.get("enum", [schema.get("const")])]
        return f"use one of: {', '.join(choices)}"
    if kind == "pattern":
        return _described("write a value of the form described", schema)
    return limit_hint(kind, schema)


def missing_key_hint(path: JsonPath, key: str, schema: Mapping[str, Any]) -> str:
    """DF102: the field's own hint, else add the key (what it is, from its description)."""
    special = field_hint(path) or field_hint((*path, key))
    if special is not None:
        return special
    properties = schema.get("properties")
    described = properties.get(key) if isinstance(properties, Mapping) else None
    return _described(f"add `{key}:`", described if isinstance(described, Mapping) else {})


def unknown_key_hint(path: JsonPath, operator: Any) -> str:
    """DF101 when no known key is close: remove it, and where the allowed keys are listed."""
    if len(path) == 2 and path[0] == "tasks" and isinstance(operator, str):
        return f"remove it: docs/operators.md lists the arguments of {operator!r} and those every task takes"
    if path[-1:] == ("default_args",):
        return "remove it: default_args takes the arguments every task takes (docs/operators.md lists them)"
    place = shape(path)[:1] or ("spec",)
    what = {"spec": "a spec", "task": "a task", "groups": "a group", "edges": "a labelled edge"}.get(place[0])
    return f"remove it: docs/spec-reference.md lists the keys of {what or 'this mapping'}"


def limit_hint(kind: str, schema: Mapping[str, Any]) -> str:
    """Hints for bounds (DF106) and any other keyword."""
    bound = schema.get(kind)
    if kind in ("maximum", "minimum") and bound in (INT32_MAX, INT32_MIN):
        return "Airflow stores this number in a 32-bit database column"
    plural = "" if bound == 1 else "s"
    hints = {
        "minimum": f"use {bound} or more",
        "maximum": f"use {bound} or less",
        "minItems": f"list at least {bound} item{plural}, or remove the key",
        "minLength": "write a non-empty value, or remove the key" if bound == 1 else f"write {bound}+ characters",
        "maxLength": f"shorten it to at most {bound} characters",
        "minProperties": f"give at least {bound} key{plural}, or remove the mapping",
        "maxProperties": f"give at most {bound} key{plural}",
        "uniqueItems": "list each item once: remove the repeated ones",
    }
    return hints.get(kind) or _described("see docs/spec-reference.md for this field", schema)


def _types(schema: Mapping[str, Any]) -> list[str]:
    types = schema.get("type")
    return [str(t) for t in types] if isinstance(types, list) else [str(types)] if types else []


def _described(prefix: str, schema: Mapping[str, Any]) -> str:
    text = schema.get("description")
    return f"{prefix}: {text}" if isinstance(text, str) and text else prefix
