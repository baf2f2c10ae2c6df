"""The quick schema check must agree with jsonschema, the reference, on every spec.

`dagfactory validate` skips importing jsonschema when dagfactory.check.quickcheck proves a spec
valid; a disagreement would let an invalid spec through (or slow a valid one down).
Hypothesis runs derandomized; DAGFACTORY_HYPOTHESIS_EXAMPLES runs more (CI does).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagfactory.check import spec as spec_check
from dagfactory.check.quickcheck import UnsupportedSchema, compile_schema
from dagfactory.check.schema import build_schema
from dagfactory.load.document import load_file
from tests.conftest import FIXTURES, REPO, property_settings

SETTINGS = property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 300)


def reference_valid(data: Any) -> bool:
    """jsonschema's verdict, through the same split validators validate.py reports with."""
    spec_validator, per_operator = spec_check._validators()
    if not spec_validator.is_valid(data):
        return False
    for task in data["tasks"].values():
        key = spec_check._operator_key(task)
        if key is None or not per_operator[key].is_valid(task):
            return False
    return True


def spec_files() -> list[Path]:
    found = [p for p in sorted((REPO / "specs").rglob("*.yaml")) if not p.name.startswith("_")]
    return found + sorted(FIXTURES.rglob("*.yaml"))


def loaded_specs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in spec_files():
        doc, _ = load_file(path)
        if doc is not None and isinstance(doc.data, dict):
            out.append((str(path.relative_to(REPO)), doc.data))
    return out


SPECS = loaded_specs()
VALID_SPECS = [(name, data) for name, data in SPECS if reference_valid(data)]


# --- keyword by keyword, against jsonschema ------------------------------------------------

CASES: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None, -0.0, 10**30]),
    ({"type": "number"}, [1, 1.5, True, False, "1", math.inf, math.nan]),
    ({"type": ["string", "null"]}, ["", None, 0, [], {}]),
    ({"type": "object"}, [{}, [], "x"]),
    ({"type": "array"}, [[], {}, "x"]),
    ({"type": "boolean"}, [True, False, 0, 1, "true"]),
    ({"enum": [1, "a", None, True]}, [1, 1.0, True, False, 0, "a", "A", None, [1]]),
    ({"enum": ["x", "y"]}, ["x", "z", 0, None]),
    ({"const": 0}, [0, 0.0, False, None, "0"]),
    ({"const": False}, [False, 0, None]),
    ({"const": [1, {"a": True}]}, [[1, {"a": True}], [1.0, {"a": True}], [True, {"a": 1}], [1, {"a": True, "b": 1}]]),
    ({"pattern": "^a+$(?!\n)"}, ["aa", "aa\n", "ba", 5, None]),
    ({"minLength": 2, "maxLength": 3}, ["a", "ab", "abcd", "한국", 7]),
    ({"minimum": 0, "maximum": 10}, [0, -1, 10, 11, 0.5, True, "5", math.nan, -math.inf]),
    (
        {"properties": {"a": {"type": "integer"}}, "required": ["a"], "additionalProperties": False},
        [{"a": 1}, {"a": "1"}, {}, {"a": 1, "b": 2}, [], "a"],
    ),
    (
        {"properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
        [{"a": 1, "b": "x"}, {"b": 2}],
    ),
    (
        {
            "properties": {"ab": {"type": "integer"}},
            "patternProperties": {"^a": {"minimum": 5}},
            "additionalProperties": False,
        },
        [{"ab": 6}, {"ab": 1}, {"ax": 9}, {"ax": 1}, {"b": 1}],
    ),
    ({"patternProperties": {"^x": {"type": "string"}}}, [{"x1": "s"}, {"x1": 1}, {"y": 1}]),
    ({"additionalProperties": False}, [{}, {"a": 1}, []]),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, [{"ab": 1}, {"Ab": 1}, {}]),
    ({"minProperties": 1, "maxProperties": 2}, [{}, {"a": 1}, {"a": 1, "b": 2, "c": 3}, []]),
    ({"items": {"type": "string"}, "minItems": 1, "maxItems": 2}, [[], ["a"], ["a", 1], ["a", "b", "c"], "ab"]),
    ({"items": False}, [[], [1], {}]),
    ({"uniqueItems": True, "items": {"type": "string"}}, [["a", "b"], ["a", "a"], [], ["a", 1]]),
    ({"anyOf": [{"type": "string"}, {"minimum": 3}]}, ["x", 4, 1, None]),
    ({"allOf": [{"minimum": 1}, {"maximum": 2}]}, [1, 3, 0]),
    ({"oneOf": [{"minimum": 1}, {"maximum": 2}]}, [0, 1.5, 3]),
    ({"not": {"type": "string"}}, ["x", 1]),
    ({"not": {}}, [None, 1, "x"]),
    (
        {
            "if": {"properties": {"k": {"const": "a"}}, "required": ["k"]},
            "then": {"required": ["a"]},
            "else": {"required": ["b"]},
        },
        [{"k": "a", "a": 1}, {"k": "a", "b": 1}, {"k": "z", "b": 1}, {"k": "z", "a": 1}, {}],
    ),
    ({"description": "only annotations", "title": "t", "default": 1, "examples": [2], "format": "email"}, ["x", 1]),
    (True, [None, 1]),
    (False, [None, 1]),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "instances"), CASES, ids=[json.dumps(c[0])[:60] for c in CASES])
def test_each_keyword_matches_jsonschema(schema: Any, instances: list[Any]) -> None:
    reference = jsonschema.Draft202012Validator(schema)
    quick = compile_schema(schema)
    assert [quick(i) for i in instances] == [reference.is_valid(i) for i in instances]


def test_what_it_cannot_judge_it_leaves_to_jsonschema() -> None:
    """Never a false "valid": mixed-type uniqueItems and foreign types are "unsure" (False)."""
    from decimal import Decimal

    assert compile_schema({"uniqueItems": True})([1, True]) is False  # valid, but only jsonschema says so
    assert compile_schema({"type": "number"})(Decimal("1.5")) is False
    assert compile_schema({"enum": [1]})((1,)) is False


@pytest.mark.parametrize(
    "schema", [{"$ref": "#/$defs/x"}, {"contains": {}}, {"type": "string", "dependentRequired": {}}, [1], "x"]
)
def test_a_keyword_it_does_not_implement_is_refused_when_compiling(schema: Any) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)


def test_the_whole_published_schema_compiles() -> None:
    """Every keyword the schema uses is implemented (a new one fails here, not silently)."""
    spec_schema, per_operator = spec_check._schemas()
    compile_schema(spec_schema)
    for schema in per_operator.values():
        compile_schema(schema)
    compile_schema(spec_check._inline_refs(build_schema()["$defs"]["task"], build_schema()["$defs"]))


# --- whole specs --------------------------------------------------------------------------


def test_every_shipped_spec_and_fixture_gets_the_reference_verdict() -> None:
    assert len(SPECS) > 60
    assert len(VALID_SPECS) > 30  # the corpus is really there
    mismatched = [name for name, data in SPECS if spec_check._known_valid(data) != reference_valid(data)]
    assert mismatched == []


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
json_values = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _schema_words() -> list[Any]:
    """Keys and values that appear in the schema, so mutations reach deep, valid-looking specs."""
    words: set[Any] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties":
                    words.update(value)
                if key in ("enum", "const"):
                    words.update(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(build_schema())
    return sorted(words)


WORDS = _schema_words()
TYPICAL = [0, 1, -1, 1.0, "", "1h", "5m", True]
plausible_values = st.one_of(st.sampled_from(WORDS), json_values, st.sampled_from(TYPICAL))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*path, index))
    return out


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec with one to three edits: a value replaced, a key or item removed or
    added, a list item repeated."""
    _, original = draw(st.sampled_from(VALID_SPECS))
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(data)[1:]))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "remove", "add", "repeat"]))
        target = parent[path[-1]]
        if action == "replace":
            parent[path[-1]] = draw(plausible_values)
        elif action == "remove":
            del parent[path[-1]]
        elif action == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(WORDS) | st.text(max_size=8))] = draw(plausible_values)
        elif action == "add" and isinstance(target, list):
            target.append(draw(plausible_values))
        elif action == "repeat" and isinstance(target, list) and target:
            target.append(copy.deepcopy(draw(st.sampled_from(target))))
    return data


@SETTINGS
@given(data=mutated_specs())
def test_edited_specs_get_the_reference_verdict(data: dict[str, Any]) -> None:
    assert spec_check._known_valid(data) == reference_valid(data)
