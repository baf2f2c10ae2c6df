"""Answer "is this spec valid?" against our JSON Schema without importing jsonschema.

Pre-commit runs ``dagfactory validate`` once per commit, and nearly every spec it
sees is valid. Importing jsonschema (with referencing, attrs and rpds) costs more
than the rest of that run, yet a valid spec needs none of its error reporting.
:func:`compile_schema` turns a schema into a predicate, a tree of small closures
built once per process, that follows Draft 2020-12 for the keywords our schema uses.

The predicate only ever says "valid" or "not known to be valid": whenever it meets
something it does not model exactly (a value type the loader never produces, a
``uniqueItems`` list of non-strings) it gives up, and so does it whenever the data
is invalid. Either way :mod:`dagfactory.check.spec` then asks jsonschema, which stays
the one source of error messages. The test suite checks that both agree on every
fixture and on thousands of generated specs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[Any], bool]

# Keywords that only annotate: they never make an instance invalid. ``format`` is one of
# them here because validate.py builds its validators without a format checker.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "format"}
)


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this module does not implement (or a ``$ref``)."""


class _Unsure(Exception):
    """Raised inside a predicate: the data holds something only jsonschema can judge."""


def compile_schema(schema: Any) -> Predicate:
    """A function ``data -> bool``: True only when ``data`` is valid against ``schema``
    (a schema without ``$ref``). Raises :class:`UnsupportedSchema` for keywords it
    does not implement, so a schema change cannot silently weaken the check."""
    check = _compile(schema)

    def is_valid(data: Any) -> bool:
        try:
            return check(data)
        except _Unsure:
            return False

    return is_valid


def _compile(schema: Any) -> Predicate:
    if schema is True or schema == {}:
        return _always
    if schema is False:
        return _never
    if not isinstance(schema, dict):
        raise UnsupportedSchema(f"a schema must be a mapping or a boolean, not {schema!r}")
    unknown = set(schema) - set(_KEYWORDS) - _ANNOTATIONS - {"then", "else"}  # those two are read by "if"
    if unknown:
        raise UnsupportedSchema(f"unsupported keyword(s): {', '.join(sorted(unknown))}")
    checks = [_KEYWORDS[keyword](value, schema) for keyword, value in schema.items() if keyword in _KEYWORDS]
    checks = [check for check in checks if check is not _always]
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def all_of_keywords(data: Any) -> bool:
        return all(check(data) for check in checks)

    return all_of_keywords


def _always(data: Any) -> bool:
    return True


def _never(data: Any) -> bool:
    return False


# --- types and values ------------------------------------------------------------------


def _is_integer(data: Any) -> bool:
    if isinstance(data, bool):
        return False
    if isinstance(data, int):
        return True
    return isinstance(data, float) and data.is_integer()


def _is_number(data: Any) -> bool:
    if isinstance(data, bool):
        return False
    if isinstance(data, (int, float)):
        return True
    _refuse_foreign(data)
    return False


_TYPE_TESTS: dict[str, Predicate] = {
    "object": lambda data: isinstance(data, dict),
    "array": lambda data: isinstance(data, list),
    "string": lambda data: isinstance(data, str),
    "boolean": lambda data: isinstance(data, bool),
    "null": lambda data: data is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _refuse_foreign(data: Any) -> None:
    """Values the YAML loader never produces (Decimal, datetime ...): let jsonschema judge."""
    if not isinstance(data, (dict, list, str, bool, int, float)) and data is not None:
        raise _Unsure


def _type(types: Any, schema: dict[str, Any]) -> Predicate:
    names = [types] if isinstance(types, str) else list(types)
    tests = [_TYPE_TESTS[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda data: any(test(data) for test in tests)


def _equal(one: Any, two: Any) -> bool:
    """JSON equality as jsonschema defines it: ``True`` is not ``1``, ``1`` is ``1.0``."""
    _refuse_foreign(one)
    _refuse_foreign(two)
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return isinstance(one, str) and isinstance(two, str) and one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(key in two and _equal(value, two[key]) for key, value in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _enum(values: list[Any], schema: dict[str, Any]) -> Predicate:
    if all(isinstance(value, str) for value in values):
        choices = frozenset(values)
        return lambda data: isinstance(data, str) and data in choices
    return lambda data: any(_equal(value, data) for value in values)


def _const(value: Any, schema: dict[str, Any]) -> Predicate:
    return _enum([value], schema)


# --- strings and numbers -----------------------------------------------------------------


def _pattern(pattern: str, schema: dict[str, Any]) -> Predicate:
    regex = re.compile(pattern)
    return lambda data: not isinstance(data, str) or regex.search(data) is not None


def _min_length(limit: int, schema: dict[str, Any]) -> Predicate:
    return lambda data: not isinstance(data, str) or len(data) >= limit


def _max_length(limit: int, schema: dict[str, Any]) -> Predicate:
    return lambda data: not isinstance(data, str) or len(data) <= limit


def _minimum(limit: float, schema: dict[str, Any]) -> Predicate:
    return lambda data: not _is_number(data) or not data < limit  # NaN passes, as in jsonschema


def _maximum(limit: float, schema: dict[str, Any]) -> Predicate:
    return lambda data: not _is_number(data) or not data > limit


# --- objects ------------------------------------------------------------------------------


def _properties(properties: dict[str, Any], schema: dict[str, Any]) -> Predicate:
    """``properties``, ``patternProperties`` and ``additionalProperties`` in one pass."""
    named = {name: _compile(subschema) for name, subschema in properties.items()}
    patterns = [(re.compile(p), _compile(s)) for p, s in schema.get("patternProperties", {}).items()]
    additional = _compile(schema.get("additionalProperties", True))

    def check(data: Any) -> bool:
        if not isinstance(data, dict):
            return True
        for key, value in data.items():
            if not isinstance(key, str):
                raise _Unsure  # the loader refuses such keys; never guess
            known = named.get(key)
            if known is not None and not known(value):
                return False
            matched = known is not None
            for regex, sub in patterns:
                if regex.search(key):
                    matched = True
                    if not sub(value):
                        return False
            if not matched and not additional(value):
                return False
        return True

    return check


def _additional_only(additional: Any, schema: dict[str, Any]) -> Predicate:
    """``additionalProperties`` without ``properties`` (else :func:`_properties` does it)."""
    if "properties" in schema or "patternProperties" in schema:
        return _always
    return _properties({}, schema)


def _pattern_only(patterns: Any, schema: dict[str, Any]) -> Predicate:
    if "properties" in schema:
        return _always
    return _properties({}, schema)


def _required(names: list[str], schema: dict[str, Any]) -> Predicate:
    return lambda data: not isinstance(data, dict) or all(name in data for name in names)


def _property_names(subschema: Any, schema: dict[str, Any]) -> Predicate:
    check = _compile(subschema)
    return lambda data: not isinstance(data, dict) or all(check(key) for key in data)


def _min_properties(limit: int, schema: dict[str, Any]) -> Predicate:
    return lambda data: not isinstance(data, dict) or len(data) >= limit


def _max_properties(limit: int, schema: dict[str, Any]) -> Predicate:
    return lambda data: not isinstance(data, dict) or len(data) <= limit


# --- arrays -------------------------------------------------------------------------------


def _items(subschema: Any, schema: dict[str, Any]) -> Predicate:
    check = _compile(subschema)
    return lambda data: not isinstance(data, list) or all(check(item) for item in data)


def _min_items(limit: int, schema: dict[str, Any]) -> Predicate:
    return lambda data: not isinstance(data, list) or len(data) >= limit


def _max_items(limit: int, schema: dict[str, Any]) -> Predicate:
    return lambda data: not isinstance(data, list) or len(data) <= limit


def _unique_items(unique: bool, schema: dict[str, Any]) -> Predicate:
    if not unique:
        return _always

    def check(data: Any) -> bool:
        if not isinstance(data, list):
            return True
        if not all(isinstance(item, str) for item in data):
            raise _Unsure  # jsonschema's own rules for mixed lists are subtle: let it decide
        return len(set(data)) == len(data)

    return check


# --- combinators -----------------------------------------------------------------------------


def _all_of(subschemas: list[Any], schema: dict[str, Any]) -> Predicate:
    checks = [_compile(sub) for sub in subschemas]
    return lambda data: all(check(data) for check in checks)


def _any_of(subschemas: list[Any], schema: dict[str, Any]) -> Predicate:
    checks = [_compile(sub) for sub in subschemas]
    return lambda data: any(check(data) for check in checks)


def _one_of(subschemas: list[Any], schema: dict[str, Any]) -> Predicate:
    checks = [_compile(sub) for sub in subschemas]
    return lambda data: sum(1 for check in checks if check(data)) == 1


def _not(subschema: Any, schema: dict[str, Any]) -> Predicate:
    check = _compile(subschema)
    return lambda data: not check(data)


def _if(condition: Any, schema: dict[str, Any]) -> Predicate:
    test = _compile(condition)
    then = _compile(schema.get("then", True))
    otherwise = _compile(schema.get("else", True))
    return lambda data: then(data) if test(data) else otherwise(data)


def _ref(ref: str, schema: dict[str, Any]) -> Predicate:
    raise UnsupportedSchema(f"inline {ref!r} before compiling")


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Predicate]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "properties": _properties,
    "patternProperties": _pattern_only,
    "additionalProperties": _additional_only,
    "required": _required,
    "propertyNames": _property_names,
    "minProperties": _min_properties,
    "maxProperties": _max_properties,
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _unique_items,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
    "$ref": _ref,
}
