"""Load a spec file: YAML text -> plain Python data + the source position of every node.

The spec format reads YAML with the YAML 1.2 *core schema* rules, not PyYAML's
YAML 1.1 defaults, so nothing is silently coerced:

* ``yes``/``no``/``on``/``off`` stay strings; booleans are only ``true``/``false``.
* ``2024-03-25`` stays the string ``"2024-03-25"``; the stage that needs a date
  parses it (and says where it is wrong).
* Only strings, integers, floats, booleans, null, mappings and lists come
  through. Custom tags (``!!python/object`` ...), merge keys (``<<``) and
  non-string keys are refused with a diagnostic. Nothing is ever constructed.
* Duplicate keys at any depth are errors naming both lines.
* Size, nesting depth and alias expansion are bounded, so a hostile file is
  refused quickly instead of eating memory.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import math
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dagfactory.diagnostics import Diagnostic

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 100_000  # nodes produced after alias expansion (billion-laughs guard)
MAX_NUMBER_DIGITS = 100  # an integer or float literal longer than this is refused, not silently mangled

JsonPath = tuple[str | int, ...]

_PLAIN = "!dagfactory/plain"
_STD = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

try:  # libyaml's parser is much faster; positions are the same
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


# misc: a base class chosen at import time is invisible to mypy (both loaders share Resolver).
class _ComposeOnlyLoader(_BaseLoader):  # type: ignore[misc]
    """Composes nodes; tags every plain scalar so we resolve it ourselves (YAML 1.2 core)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        tag = super().resolve(kind, value, implicit)
        assert isinstance(tag, str)
        return tag


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class NodeInfo:
    """Where a value sits in the file, and where its key sits (for mapping values)."""

    value: Position
    key: Position | None = None
    plain_scalar: bool = False  # unquoted, single-line: offsets inside it map to columns
    source: str | None = None  # the file it was written in, when not the document's own (_defaults.yaml)


@dataclass(frozen=True)
class Source:
    """The bytes a spec was loaded from, as the incremental cache keys it: their SHA-256, the
    file's status taken before they were read, and the time just before that."""

    digest: str
    status: os.stat_result
    read_ns: int


@dataclass
class Document:
    """A loaded spec: its data and a map from JSON path to source position."""

    path: str
    data: Any
    nodes: dict[JsonPath, NodeInfo] = field(default_factory=dict)
    base_dir: Path | None = None  # where relative file references (.sql) resolve: the spec's folder
    inputs: tuple[Path, ...] = ()  # other files its data came from (shared defaults)
    file_roots: tuple[Path, ...] = ()  # folders those references must stay in (none: base_dir only)
    # what :func:`dagfactory.load.files.resolve_reference` found for each reference: validate, the
    # secrets lint, the model and the cache ask about the same files; each is read once
    references: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    source: Source | None = field(default=None, compare=False, repr=False)  # set by load_file

    def locate(self, path: JsonPath, *, key: bool = False) -> tuple[str, Position]:
        """File and position of the value (or its key) at ``path``, else of the nearest ancestor."""
        probe = tuple(path)
        while probe:
            info = self.nodes.get(probe)
            if info is not None:
                return info.source or self.path, info.key if key and info.key is not None else info.value
            probe = probe[:-1]
        root = self.nodes.get(())
        return self.path, root.value if root else Position(1, 1)

    def position(self, path: JsonPath, *, key: bool = False) -> Position:
        return self.locate(path, key=key)[1]

    def diagnostic(self, path: JsonPath, code: str, message: str, *, key: bool = False, **extra: Any) -> Diagnostic:
        file, pos = self.locate(path, key=key)
        return Diagnostic(file, pos.line, pos.column, code, message, **extra)


class _Refused(Exception):
    def __init__(self, node: yaml.Node, code: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.node, self.code, self.message, self.hint = node, code, message, hint


def _pos(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def load_file(path: Path, display_path: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and load one spec file. Returns (None, diagnostics) when it cannot be loaded."""
    shown = display_path or str(path)
    try:
        read_ns = time.time_ns()
        status = path.stat()
        if status.st_size > MAX_FILE_BYTES:
            return None, [
                _file_diag(
                    shown,
                    "DF004",
                    f"file is larger than {MAX_FILE_BYTES:,} bytes",
                    "a pipeline spec is a few kilobytes; split it or remove generated content",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        hint = "check that the file exists and that you may read it"
        return None, [_file_diag(shown, "DF001", f"cannot read file: {exc.strerror or exc}", hint)]
    doc, problems = load_bytes(raw, shown)
    if doc is not None:
        doc.base_dir = path.parent
        doc.source = Source(hashlib.sha256(raw).hexdigest(), status, read_ns)
    return doc, problems


def load_bytes(raw: bytes, display_path: str) -> tuple[Document | None, list[Diagnostic]]:
    if len(raw) > MAX_FILE_BYTES:
        message, hint = f"file is larger than {MAX_FILE_BYTES:,} bytes", "a pipeline spec is a few kilobytes; split it"
        return None, [_file_diag(display_path, "DF004", message, hint)]
    text, problem = _decode(raw, display_path)
    if problem:
        return None, [problem]
    return load_text(text, display_path)


def load_text(text: str, display_path: str) -> tuple[Document | None, list[Diagnostic]]:
    with collector_paused():
        return _load_text(text, display_path)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused, then as before.

    Loading, checking and rendering a spec allocate hundreds of thousands of objects (nodes,
    positions, the generated file's syntax tree) that hold no reference cycles; the collector
    would walk the growing heap again and again as they pile up: more than half the time of
    compiling a large spec. Each stage pauses it for one spec; it collects as usual between."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_YAML_HINT = "check the indentation and quoting at this line (a `:`, `#` or `{` inside a value needs quotes)"


def _load_text(text: str, display_path: str) -> tuple[Document | None, list[Diagnostic]]:
    ambiguous = _AMBIGUOUS_BREAK.search(text)
    if ambiguous:
        return None, [_ambiguous_break(text, ambiguous.start(), display_path)]
    try:
        root = yaml.compose(text, Loader=_ComposeOnlyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return None, [Diagnostic(display_path, line, col, "DF001", f"invalid YAML: {message}", hint=_YAML_HINT)]
    except (yaml.YAMLError, RecursionError) as exc:
        return None, [_file_diag(display_path, "DF001", f"invalid YAML: {exc}", _YAML_HINT)]
    doc = Document(display_path, None)
    if root is None:
        doc.data = None
        return doc, []
    builder = _Builder(doc)
    try:
        _check_expansion(root)
        doc.data = builder.build(root, (), None, 0)
    except _Refused as exc:
        pos = _pos(exc.node.start_mark)
        return None, [Diagnostic(display_path, pos.line, pos.column, exc.code, exc.message, hint=exc.hint)]
    # Duplicates are errors, but the rest of the file is still checked (first value kept)
    return doc, builder.duplicates


# YAML 1.1 (and libyaml) read NEL, LS and PS as line breaks, YAML 1.2 as text: the same
# file would mean two different values, so a raw one is refused rather than guessed.
_AMBIGUOUS_BREAK = re.compile("[\x85\u2028\u2029]")


def _ambiguous_break(text: str, offset: int, display_path: str) -> Diagnostic:
    before = text[:offset]
    line, col = before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
    return Diagnostic(
        display_path,
        line,
        col,
        "DF001",
        f"raw U+{ord(text[offset]):04X} character: YAML versions disagree on whether it is a line break",
        hint='write it as an escape in a double-quoted string ("\\x85", "\\u2028", "\\u2029")',
    )


def _decode(raw: bytes, display_path: str) -> tuple[str, Diagnostic | None]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", _file_diag(display_path, "DF001", "file is UTF-16; specs must be UTF-8", "re-save the file as UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(raw, nul)
        message = "file contains a NUL byte; it is not a text file"
        hint = "remove the NUL byte, or re-save as UTF-8"
        return "", Diagnostic(display_path, line, col, "DF001", message, hint=hint)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        return "", Diagnostic(
            display_path, line, col, "DF001", "file is not valid UTF-8", hint="re-save the file as UTF-8"
        )


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1


def _file_diag(path: str, code: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(path, 1, 1, code, message, hint=hint)


def _check_expansion(root: yaml.Node) -> None:
    """Refuse an alias bomb before building anything.

    Aliases share composed nodes, so sizes are memoised per node: this costs one
    visit per distinct node, while expanding a bomb would cost exponential time.
    Sizes count what the builder will count (values, not keys); below MAX_DEPTH only,
    since deeper content is refused anyway (and a self-referencing alias is a cycle).
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        total = 1
        if depth <= MAX_DEPTH:
            total += sum(size(child, depth + 1) for child in _children(node))
        sizes[id(node)] = total
        return total

    if size(root, 0) <= MAX_NODES:
        return
    node = root  # point at the innermost collection that alone is too big
    while True:
        bigger = [child for child in _children(node) if sizes.get(id(child), 0) > MAX_NODES]
        if not bigger:
            break
        node = bigger[0]
    raise _Refused(
        node,
        "DF004",
        f"the document expands to more than {MAX_NODES:,} values",
        "aliases (*name) multiply content; this looks like an alias bomb",
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [value for _key, value in node.value]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _Builder:
    """Turns composed YAML nodes into plain data, recording positions as it goes."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.count = 0
        self.duplicates: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: JsonPath, key_pos: Position | None, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused(
                node,
                "DF004",
                f"the document expands to more than {MAX_NODES:,} values",
                "aliases (*name) multiply content; this looks like an alias bomb",
            )
        if depth > MAX_DEPTH:
            raise _Refused(node, "DF004", f"nesting is deeper than {MAX_DEPTH} levels", "flatten the structure")
        # libyaml reports a plain scalar's style as "", pure-Python PyYAML as None
        plain = isinstance(node, yaml.ScalarNode) and not node.style and node.start_mark.line == node.end_mark.line
        self.doc.nodes[path] = NodeInfo(_pos(node.start_mark), key_pos, plain)
        if isinstance(node, yaml.MappingNode):
            self._check_tag(node, "map")
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, "seq")
            return [self.build(item, (*path, i), None, depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)  # the one other kind of node
        return _scalar(node)

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != _STD + expected:
            raise _Refused(
                node,
                "DF003",
                f"YAML tag {node.tag!r} is not allowed in a spec",
                "remove the tag; specs hold plain strings, numbers, booleans, lists and mappings",
            )

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            key_pos = _pos(key_node.start_mark)
            if key in first_seen:
                self.duplicates.append(
                    Diagnostic(
                        self.doc.path,
                        key_pos.line,
                        key_pos.column,
                        "DF002",
                        f"duplicate key {key!r} (first defined on line {first_seen[key].line})",
                        hint="YAML keeps only one of them; remove or rename one",
                    )
                )
                continue
            first_seen[key] = key_pos
            result[key] = self.build(value_node, (*path, key), key_pos, depth + 1)
        return result

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            message = "a mapping key must be a plain string, not a list or mapping"
            raise _Refused(node, "DF003", message, "write the key as a string")
        if node.tag == _PLAIN and node.value == "<<":
            raise _Refused(
                node,
                "DF003",
                "merge keys (<<) are not supported",
                "repeat the keys, or put shared settings in default_args or a _defaults.yaml",
            )
        value = _scalar(node)
        if not isinstance(value, str):
            raise _Refused(
                node,
                "DF003",
                f"mapping key {node.value!r} is {_type_name(value)}, not a string",
                f'quote it: "{node.value}"',
            )
        return value


class _TooLong(ValueError):
    """A number literal too big to convert faithfully (Python refuses int() past 4,300 digits)."""


def _scalar(node: yaml.ScalarNode) -> Any:
    try:
        return _typed_scalar(node)
    except _TooLong as exc:
        raise _Refused(node, "DF004", str(exc), "quote it if it is text, not a number") from None


# What each explicit tag accepts of the plain-scalar resolution (!!float takes an integer too).
_WANTED: dict[str, type[Any] | tuple[type[Any], ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "null": type(None),
}


def _typed_scalar(node: yaml.ScalarNode) -> Any:
    value, tag = node.value, node.tag
    if tag == _STD + "str":
        return value
    if tag == _PLAIN:
        return _resolve_plain(value)
    if tag in (_STD + "int", _STD + "float", _STD + "bool", _STD + "null"):
        resolved = _resolve_plain(value)
        wanted = _WANTED[tag[len(_STD) :]]
        numeric = tag.endswith(("int", "float"))  # bool is an int in Python, never a number in YAML
        if isinstance(resolved, wanted) and not (numeric and isinstance(resolved, bool)):
            return float(resolved) if tag.endswith("float") else resolved
        hint = f"remove the tag, or write a {tag[len(_STD) :]} after it"
        raise _Refused(node, "DF003", f"{value!r} is not a valid {tag[len(_STD) :]}", hint)
    raise _Refused(
        node,
        "DF003",
        f"YAML tag {tag!r} is not allowed in a spec",
        "remove the tag; specs hold plain strings, numbers, booleans, lists and mappings",
    )


def _resolve_plain(value: str) -> Any:
    """YAML 1.2 core schema resolution of an unquoted scalar."""
    if value[:1].isalpha():  # the common case, a word: of the special values only these start so
        return _BOOL.get(value, None if value in ("null", "Null", "NULL") else value)
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if len(value) > MAX_NUMBER_DIGITS + 2 and (_INT.match(value) or _OCT.match(value) or _HEX.match(value)):
        raise _TooLong(f"an integer with more than {MAX_NUMBER_DIGITS} digits is not allowed")
    if _INT.match(value):
        return int(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        number = float(value)
        if math.isinf(number):  # 1e999 would silently become infinity
            raise _TooLong(f"{value[:20]}{'...' * (len(value) > 20)} is too large for a number")
        return number
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number"}.get(type(value), type(value).__name__)
