"""Every schema error says what to do: a generated spec for each way each field can be wrong.

The walk starts from every shipped spec and valid fixture (so every catalog operator, groups,
teardowns, branches and labelled edges are present), follows the published JSON Schema into
each value (a task through its operator's definition), and makes one spec per violation of
each keyword there: a wrong type, a value outside ``enum`` or ``pattern``, a bound crossed
(minimum, maximum, minItems, minLength, maxLength, minProperties, maxProperties, uniqueItems),
a required key removed, an unknown key added, a bad key name; for properties a spec leaves out,
each is added with a wrong value too. Every diagnostic of the DF1xx family that spec gets must
carry a non-empty hint.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from dagfactory.check.schema import CLASS_PATH_PATTERN, build_schema
from dagfactory.check.spec import check_document
from dagfactory.load.document import load_file, load_text
from tests.conftest import FIXTURES, REPO
from tests.test_hardening_injection import dump_spec

SCHEMA = build_schema()
DEFS = SCHEMA["$defs"]
BASES = sorted(
    p
    for folder in (REPO / "specs", FIXTURES / "valid", FIXTURES / "catalog" / "valid")
    for p in folder.rglob("*.yaml")
    if not p.name.startswith("_")
)
Path_ = tuple[Any, ...]
# A value of each JSON type, in the order tried when a field's type is to be broken.
SAMPLES = {"array": [1], "object": {"k": 1}, "integer": 5, "string": "x", "boolean": True, "null": None}


def resolve(schema: Any) -> dict[str, Any]:
    """The schema with its ``$ref`` followed (the referring node's own keys win)."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        target = resolve(DEFS[schema["$ref"].removeprefix("#/$defs/")])
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def task_schema(task: Any) -> dict[str, Any]:
    """A task's operator definition, as check/spec.py dispatches it."""
    operator = task.get("operator") if isinstance(task, dict) else None
    if isinstance(operator, str) and f"operator_{operator}" in DEFS:
        return DEFS[f"operator_{operator}"]
    if isinstance(operator, str) and re.match(CLASS_PATH_PATTERN, operator):
        return DEFS["operator_class_path"]
    return {}


def types_of(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind] if kind else []


def bad_values(schema: dict[str, Any], valid: Any) -> Iterator[tuple[str, Any]]:
    """(keyword, a value that breaks it) for each keyword of ``schema``."""
    types = types_of(schema)
    allowed = {*types, "integer"} if "number" in types else set(types)
    wrong = [value for kind, value in SAMPLES.items() if kind not in allowed]
    if types and wrong:
        yield "type", wrong[0]
    if "boolean" in types:
        yield "type", "yes"
    strings = not types or "string" in types
    if "enum" in schema and strings:
        yield "enum", "zz_not_a_choice"
    if "pattern" in schema and strings:
        yield "pattern", "not valid!"
    if "not" in schema:
        yield "not", "1h"
    if "minimum" in schema:
        yield "minimum", schema["minimum"] - 1
    if "maximum" in schema:
        yield "maximum", schema["maximum"] + 1
    if schema.get("minItems"):
        yield "minItems", []
    if schema.get("minLength") and strings:
        yield "minLength", ""
    if "maxLength" in schema:
        yield "maxLength", "x" * (schema["maxLength"] + 1)
    if schema.get("uniqueItems"):
        item = valid[0] if isinstance(valid, list) and valid else "a"
        yield "uniqueItems", [item, item]
    if schema.get("minProperties"):
        yield "minProperties", {}
    if "maxProperties" in schema:
        keys = sorted(schema.get("properties", {})) or [f"k{i}" for i in range(schema["maxProperties"] + 1)]
        yield "maxProperties", dict.fromkeys(keys, "x")


def cases(value: Any, schema: Any, path: Path_) -> Iterator[tuple[str, Path_, str, Any]]:
    """(what, path, action, value): action "set" puts the value at path, "del" removes the key."""
    schema = resolve(schema)
    if "allOf" in schema and isinstance(value, dict):  # a task: its operator's definition
        schema = {**resolve(task_schema(value)), "description": schema.get("description")}
    for keyword, bad in bad_values(schema, value) if path else ():  # the root: a whole spec that is no mapping
        yield f"{keyword} at {shape(path)}", path, "set", bad
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, sub in properties.items():
            if key in value:
                yield from cases(value[key], sub, (*path, key))
            elif key != "operator":
                for keyword, bad in bad_values(resolve(sub), None):
                    yield f"{keyword} at {shape((*path, key))} (added)", (*path, key), "set", bad
        for key in schema.get("required", []):
            if key in value:
                yield f"required {key} at {shape(path)}", (*path, key), "del", None
        if schema.get("additionalProperties") is False:
            yield f"unknown key at {shape(path)}", (*path, "zz_unknown_key"), "set", 1
        elif isinstance(schema.get("additionalProperties"), dict):
            for key, item in value.items():
                if key not in properties:
                    yield from cases(item, schema["additionalProperties"], (*path, key))
        if "propertyNames" in schema:
            yield f"key name at {shape(path)}", (*path, "not valid!"), "set", {}
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from cases(item, schema["items"], (*path, index))


def shape(path: Path_) -> str:
    """The path without what varies (ids, indices), so each kind of error is tried once."""
    parts = ["*" if isinstance(p, int) else p for p in path]
    if len(parts) >= 2 and parts[0] in ("tasks", "groups", "pools", "macros", "params"):
        parts[1] = "*"
    return ".".join(parts)


def mutated(data: dict[str, Any], path: Path_, action: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node = out
    for part in path[:-1]:
        node = node[part]
    if action == "del":
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def all_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """One spec per distinct (kind of error, place, operator) over every base spec."""
    seen: set[str] = set()
    found = []
    for base in BASES:
        doc, _ = load_file(base)
        assert doc is not None, base
        assert isinstance(doc.data, dict), base
        for what, path, action, value in cases(doc.data, SCHEMA, ()):
            task = doc.data["tasks"].get(path[1]) if len(path) > 2 and path[0] == "tasks" else None
            operator = task.get("operator") if isinstance(task, dict) else None
            key = f"{what} [{operator}] {json.dumps(value, default=str)[:40]}"
            if key not in seen:
                seen.add(key)
                found.append((f"{base.name}: {key}", what, mutated(doc.data, path, action, value)))
    return found


CASES = all_cases()


def test_the_walk_reaches_every_part_of_the_schema() -> None:
    """The walk is not vacuous: it tries the teardown, branch, group and edge fields and every keyword."""
    names = " ".join(what for _, what, _ in CASES)
    for needle in (
        "minItems at tasks.*.teardown.setups",
        "required setups at tasks.*.teardown",
        "minItems at tasks.*.branches",
        "uniqueItems at tasks.*.branches",
        "type at groups.*",
        "unknown key at groups.*",
        "pattern at groups.*.group",
        "minLength at edges.*.label",
        "required label at edges.*",
        "minProperties at schedule",
        "maxProperties at schedule",
        "enum at tasks.*.trigger_rule",
        "maximum at tasks.*.retries",
        "pattern at business_owner.email",
    ):
        assert needle in names, needle
    assert len(CASES) > 300


@pytest.mark.parametrize("index", range(0, len(CASES), 50))
def test_every_schema_error_has_a_hint(index: int) -> None:
    """Every DF1xx diagnostic of each generated spec says what to do (cases in chunks of 50)."""
    missing = []
    produced = 0
    for name, _, data in CASES[index : index + 50]:
        doc, problems = load_text(dump_spec(data), "s.yaml")
        assert doc is not None, name
        assert problems == [], name
        for d in check_document(doc):
            if d.code.startswith("DF1"):
                produced += 1
                if not (d.hint or "").strip():
                    missing.append(f"{name}\n    {d.code} {d.message}")
    assert produced > 0
    assert not missing, "schema errors without a hint:\n" + "\n".join(missing)


def test_each_generated_spec_is_refused() -> None:
    """Each mutation is an error somewhere (else the walk tests nothing at that place)."""
    silent = []
    for name, _, data in CASES:
        doc, _ = load_text(dump_spec(data), "s.yaml")
        assert doc is not None
        if not [d for d in check_document(doc) if d.is_error]:
            silent.append(name)
    assert not silent, "\n".join(silent[:40])


def test_teardown_without_setups_says_what_to_write() -> None:
    head = "description: x\nowner: o\nbusiness_owner: {name: n}\nschedule: null\nstart_date: 2024-01-01\n"
    body = "tasks:\n  s: {operator: empty, setup: true}\n  t: {operator: empty, teardown: {setups: []}}\n"
    doc, _ = load_text(head + body, "s.yaml")
    assert doc is not None
    [found] = check_document(doc)
    assert (found.code, found.line, found.column) == ("DF106", 8, 43)
    assert found.hint is not None
    assert "teardown: {setups: [create]}" in found.hint
    assert "remove `teardown:`" in found.hint


def test_branches_on_another_operator_says_which_operator_takes_them() -> None:
    head = "description: x\nowner: o\nbusiness_owner: {name: n}\nschedule: null\nstart_date: 2024-01-01\n"
    doc, _ = load_text(head + "tasks:\n  b: {operator: bash, bash_command: x, branches: [a]}\n", "s.yaml")
    assert doc is not None
    [found] = check_document(doc)
    assert (found.code, found.line, found.column) == ("DF101", 7, 40)
    assert found.hint == "only a branch_python task names its branches: make it one, or remove `branches:`"


def test_every_error_of_every_invalid_fixture_says_what_to_do() -> None:
    """Beyond the schema: loading, values, the graph, groups, branching, references, mapping, the
    cross-spec rules. Each invalid fixture and replayed regression is checked as a project; every
    error it gets carries a hint (the fuzz tests hold the loader and check stages to the same)."""
    from collections import Counter

    from dagfactory.check.project import check_project
    from dagfactory.load.config import Config
    from dagfactory.load.discover import discover

    seen: Counter[str] = Counter()
    for folder in (FIXTURES / "invalid", REPO / "tests" / "regressions"):
        for path in sorted(folder.rglob("*.y*ml")):
            project = check_project(discover([path], path.parent, REPO), Config(specs=path.parent))
            for d in project.diagnostics:
                if d.is_error:
                    seen[d.code] += 1
                    assert d.hint, f"{path.name}: an error without a hint: {d.format_text()}"
    assert len(seen) >= 20, seen  # the fixtures reach most codes: the test is not vacuous
