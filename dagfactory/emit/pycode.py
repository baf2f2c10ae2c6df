"""Python source fragments, built so that no spec value can ever become code.

:class:`PyCode` is the only kind of text the DAG template prints as is; the
template's ``finalize`` hook turns anything else into a Python literal (the
same idea as HTML auto-escaping). PyCode is made only by the functions here,
from values that are escaped on the way in, and laid out the way ``ruff
format`` lays them out (88 columns, magic trailing commas), so the generated
files are stable under the formatter.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dagfactory.diagnostics import hex_escape
from dagfactory.values import identifier_problem

LINE_WIDTH = 88
INDENT = "    "


class PyCode(str):
    """Python source text produced by this module. Templates print it unescaped."""

    __slots__ = ()


@dataclass(frozen=True)
class Call:
    """A call expression ``func(*args, **kwargs)``; ``func`` must be a trusted name."""

    func: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Subscript:
    """``base["key"]``; ``base`` must be trusted code (a variable, ``var.output``)."""

    base: str
    key: str


def text_width(text: str) -> int:
    """Display width as the formatter measures it (East Asian wide characters count 2)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _escape_char(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    return char if char.isprintable() else hex_escape(char)


# Characters that may need an escape; everything else (printable ASCII but \ and quotes)
# is copied as is. Matching only these keeps escaping fast on long scripts and docs.
_NEEDS_ESCAPE = re.compile(r"[^ !#-&(-\[\]-~]")


def string_literal(value: str) -> PyCode:
    """A one-line string literal, with the quote ``ruff format`` prefers."""
    quote = '"' if value.count('"') <= value.count("'") else "'"

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return "\\" + char if char == quote else _escape_char(char)

    return PyCode(quote + _NEEDS_ESCAPE.sub(escape, value) + quote)


def block_string_literal(value: str) -> PyCode:
    """A triple-quoted literal for multi-line text (scripts, SQL, Markdown), exact to the byte.

    Newlines stay real newlines so the text reads as written; backslashes, carriage returns,
    unprintable characters and a line's last trailing space are escaped, and every quote that
    touches another quote (or ends the text) is escaped so ``\"\"\"`` can never close the
    literal early.
    """
    last = len(value) - 1

    def escape(match: re.Match[str]) -> str:
        char, i = match.group(), match.start()
        if char == "\n" or char == "'":
            return char
        if char == '"':
            touching = (i > 0 and value[i - 1] == '"') or (i < last and value[i + 1] == '"')
            return '\\"' if touching or i == last else '"'
        return _escape_char(char)

    # a space ending a line would be trailing whitespace in the file (which linters flag and
    # editors strip): the last one of each line is written as an escape
    text = _NEEDS_ESCAPE.sub(escape, value).replace(" \n", "\\x20\n")
    return PyCode('"""\\\n' + text + '"""')


# Names generated code must never bind: keywords and soft keywords (``match``, ``type``, ``_``),
# and builtins, which the generated file itself may call (``float("nan")``) and whose
# shadowing would make any later use mean something else.
RESERVED_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))


# Names pycodestyle (E741) refuses for looking like 1 and 0.
AMBIGUOUS_NAMES = frozenset({"l", "O", "I"})


def is_reserved(name: str) -> bool:
    """A keyword, a builtin or a dunder (``__debug__`` cannot even be assigned)."""
    return name in RESERVED_NAMES or (len(name) > 4 and name.startswith("__") and name.endswith("__"))


def identifier(name: str) -> PyCode:
    """``name`` as Python reads it: refused unless it reads back unchanged (see
    :func:`~dagfactory.values.identifier_problem`)."""
    if identifier_problem(name) is not None:
        raise ValueError(f"not a usable Python identifier: {name!r}")
    return PyCode(name)


# The longest variable name derived from a task id or group id (before a suffix that makes it
# unique; ids may be 250 characters long): an edge's last line (`] >> name`) and a name in an
# edge split over lines fit in 88 columns, so every edge keeps the layout ruff format gives it.
MAX_NAME = 64


def python_name(text: str, taken: set[str]) -> PyCode:
    """A fresh variable name derived from ``text``, neither in ``taken`` (which it extends)
    nor reserved (:func:`is_reserved`)."""
    base = re.sub(r"\W", "_", text, flags=re.ASCII) or "task"
    if base[0].isdigit():
        base = "task_" + base
    base = base[:MAX_NAME]  # a task id may be 250 characters long: its variable need not be
    if is_reserved(base) or base in taken or base in AMBIGUOUS_NAMES:
        base = base + "_task"
    name, n = base, 2
    while name in taken or is_reserved(name):
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return PyCode(name)


def literal(value: Any, indent: int = 0, used: int = 0, suffix: int = 1) -> PyCode:
    """``value`` as Python source. ``used`` is how many columns the line already holds
    before it (indentation included), ``suffix`` how many follow (a comma)."""
    if isinstance(value, PyCode):
        return value
    if value is None or isinstance(value, bool):
        return PyCode(repr(value))
    if isinstance(value, int):
        return PyCode(repr(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):  # a call: split over lines like any other
            word = "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"
            return _call(Call("float", (word,)), indent, used, suffix)
        return PyCode(repr(value).replace("e+", "e"))  # 1e16, not 1e+16: as ruff format writes it
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, Call):
        return _call(value, indent, used, suffix)
    if isinstance(value, Subscript):
        return _subscript(value, indent, used, suffix)
    if isinstance(value, (list, tuple)):
        return _collection("[", "]", [(None, v) for v in value], indent, used, suffix)
    if isinstance(value, dict):
        return _collection("{", "}", [(string_literal(str(k)), v) for k, v in value.items()], indent, used, suffix)
    raise TypeError(f"no Python literal for {type(value).__name__}")  # a compiler bug, never user input


# The ``suffix`` that asks for one line whatever its width: how a collection is tried inline.
# Inline means flat all the way down: a nested value laying itself out over lines there would
# render its own items twice (inline, then one per line), and so on at every level below:
# 2**depth renders for a deep value.
_FLAT = -LINE_WIDTH * 100


def inline(value: Any) -> PyCode:
    """``value`` as Python source on one line, whatever its width."""
    return literal(value, 0, 0, _FLAT)


def _fits(used: int, text: str, suffix: int) -> bool:
    return suffix == _FLAT or ("\n" not in text and used + text_width(text) + suffix <= LINE_WIDTH)


def _collection(
    open_: str, close: str, items: list[tuple[PyCode | None, Any]], indent: int, used: int, suffix: int
) -> PyCode:
    room = LINE_WIDTH - used - suffix
    if not items or suffix == _FLAT or _min_width(items, room) <= room:  # else it cannot fit: not rendered
        inline = open_ + ", ".join(_item(k, v, 0, LINE_WIDTH * 10, flat=True) for k, v in items) + close
        if not items or _fits(used, inline, suffix):
            return PyCode(inline)
    inner = INDENT * (indent + 1)
    lines = [inner + _item(k, v, indent + 1, len(inner), flat=False) + "," for k, v in items]
    return PyCode(open_ + "\n" + "\n".join(lines) + "\n" + INDENT * indent + close)


def _min_width(items: Iterable[tuple[str | None, Any]], budget: int) -> int:
    """A lower bound of the width of ``items`` written inline, brackets included (a literal is
    at least as wide as its text), summed only until it passes ``budget``: each level of a deep
    value looks at a line's worth of it, not at all of it."""
    width = 0  # 2 per item: the brackets and the ", " between items
    for key, value in items:
        width += 2 + (len(key) + 2 if key is not None else 0)
        if isinstance(value, str):
            width += len(value)
        elif isinstance(value, Call):
            width += len(value.func) + 2
        elif isinstance(value, Subscript):
            width += len(value.base) + len(value.key) + 4
        elif isinstance(value, dict):
            width += _min_width(((str(k), v) for k, v in value.items()), budget - width)
        elif isinstance(value, (list, tuple)):
            width += _min_width(((None, v) for v in value), budget - width)
        else:
            width += 1
        if width > budget:
            break
    return width


def _item(key: PyCode | None, value: Any, indent: int, used: int, flat: bool) -> str:
    prefix = f"{key}: " if key is not None else ""
    if flat:
        return prefix + literal(value, 0, 0, _FLAT)
    return prefix + literal(value, indent, used + text_width(prefix), 1)


def _subscript(item: Subscript, indent: int, used: int, suffix: int) -> PyCode:
    """``base["key"]``, or, when that overflows the line, the key on its own line as ``ruff format`` puts it."""
    key = string_literal(item.key)
    inline = PyCode(f"{item.base}[{key}]")
    if _fits(used, inline, suffix):
        return inline
    return PyCode(f"{item.base}[\n{INDENT * (indent + 1)}{key}\n{INDENT * indent}]")


def _call(call: Call, indent: int, used: int, suffix: int) -> PyCode:
    parts: list[tuple[str, Any]] = [("", a) for a in call.args] + [(f"{k}=", v) for k, v in call.kwargs]
    inline = call.func + "(" + ", ".join(p + literal(v, 0, 0, _FLAT) for p, v in parts) + ")"
    if _fits(used, inline, suffix):
        return PyCode(inline)
    return call_block(call.func, [(p, v) for p, v in parts], indent)


def call_block(func: str, parts: list[tuple[str, Any]], indent: int) -> PyCode:
    """``func(`` then one argument per line with a trailing comma, as ``ruff format`` keeps it."""
    inner = INDENT * (indent + 1)
    lines = [f"{inner}{prefix}{argument(prefix, value, indent + 1)}," for prefix, value in parts]
    return PyCode(f"{func}(\n" + "\n".join(lines) + "\n" + INDENT * indent + ")")


def argument(prefix: str, value: Any, indent: int) -> PyCode:
    """The source of ``value`` written on its own line after ``prefix`` (``name=``) and before a comma.

    Multi-line strings become triple-quoted blocks, so scripts and SQL read as written.
    """
    if isinstance(value, str) and not isinstance(value, PyCode) and "\n" in value:
        return block_string_literal(value)
    return literal(value, indent, len(INDENT * indent) + text_width(prefix), 1)
