from __future__ import annotations

import pytest

from dagfactory.load.document import MAX_DEPTH, MAX_NODES, Position, load_bytes, load_text


def load(text: str):
    doc, diagnostics = load_text(text, "spec.yaml")
    return doc, [(d.code, d.line, d.column) for d in diagnostics]


def test_positions_of_keys_and_values():
    doc, problems = load("a: 1\nb:\n  c: [x, y]\n")
    assert problems == []
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"]}}
    assert doc.position(("b", "c"), key=True) == Position(3, 3)
    assert doc.position(("b", "c")) == Position(3, 6)
    assert doc.position(("b", "c", 1)) == Position(3, 10)
    # an unknown path falls back to its nearest known ancestor
    assert doc.position(("b", "nope", 3)) == Position(3, 3)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"), ("on", "on"), ("off", "off"), ("no", "no"), ("y", "y"),
        ("true", True), ("False", False), ("~", None), ("null", None), ("", None),
        ("2024-03-25", "2024-03-25"), ("12:30", "12:30"), ("0o17", 15), ("0x1F", 31), ("010", 10),
        ("1_000", "1_000"), ("1.5", 1.5), ("-2", -2), (".inf", float("inf")), ('"true"', "true"), ("'3'", "3"),
        ("!!str 3", "3"), ("!!int 3", 3), ("!!float 3", 3.0),
    ],
)  # fmt: skip
def test_yaml_1_2_core_scalars(text, value):
    doc, problems = load(f"v: {text}\n")
    assert problems == []
    assert doc.data["v"] == value
    assert type(doc.data["v"]) is type(value)


def test_duplicate_keys_at_any_depth_name_both_lines():
    doc, problems = load("a:\n  b: 1\n  c: 2\n  b: 3\n")
    assert problems == [("DF002", 4, 3)]
    assert doc.data == {"a": {"b": 1, "c": 2}}  # first value kept so later checks still run
    _, diagnostics = load_text("a:\n  b: 1\n  b: 3\n", "x.yaml")
    assert "first defined on line 2" in diagnostics[0].message


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: !!python/object/apply:os.system [echo hi]\n", "DF003", 1),
        ("a: !custom x\n", "DF003", 1),
        ("a: !!binary aGVsbG8=\n", "DF003", 1),
        ("a: !!set {x}\n", "DF003", 1),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "DF003", 3),
        ("123: x\n", "DF003", 1),
        ("null: x\n", "DF003", 1),
        ("true: x\n", "DF003", 1),
        ("[a]: x\n", "DF003", 1),
        ("a: !!int notanumber\n", "DF003", 1),
        ("a: !!int false\n", "DF003", 1),
        ("a: !!float true\n", "DF003", 1),  # loaded as 1.0 before
        ("a: [1, 2\n", "DF001", 2),
        ("a: 1\n---\nb: 2\n", "DF001", 2),
    ],
)
def test_refused_yaml_features(text, code, line):
    doc, problems = load(text)
    assert doc is None
    assert [(c, ln) for c, ln, _ in problems] == [(code, line)]


def test_anchors_and_aliases_are_expanded():
    doc, problems = load("a: &x {k: [1, 2]}\nb: *x\n")
    assert problems == []
    assert doc.data["b"] == {"k": [1, 2]}


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    doc, problems = load("\n".join(lines) + "\n")
    assert doc is None
    assert problems[0][0] == "DF004"
    assert MAX_NODES < 10**8


def test_deep_nesting_is_refused():
    doc, problems = load("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n")
    assert doc is None
    assert problems[0][0] == "DF004"


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [
        (b"a: 1\nb: \x00\n", 2, 4),
        (b"a: 1\nb: caf\xe9\n", 2, 7),
        ("a: 1\n".encode("utf-16"), 1, 1),
    ],
)
def test_bytes_that_are_not_utf8_text(raw, line, column):
    doc, diagnostics = load_bytes(raw, "x.yaml")
    assert doc is None
    assert [(d.code, d.line, d.column) for d in diagnostics] == [("DF001", line, column)]


def test_utf8_bom_is_accepted():
    doc, diagnostics = load_bytes(b"\xef\xbb\xbfa: 1\n", "x.yaml")
    assert diagnostics == []
    assert doc.data == {"a": 1}


def test_huge_file_is_refused_without_parsing():
    doc, diagnostics = load_bytes(b"a: " + b"x" * 2_000_000, "x.yaml")
    assert doc is None
    assert diagnostics[0].code == "DF004"
