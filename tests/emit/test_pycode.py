from __future__ import annotations

import ast

import pytest

from dagfactory.emit.pycode import Call, PyCode, block_string_literal, literal, python_name, string_literal, text_width

TRICKY = [
    "", "plain", "it's", 'say "hi"', "both ' and \"", "back\\slash", "new\nline", "cr\rlf\r\n", "tab\there",
    '"""', "'''", 'ends with "', "\\", "\x00nul", "\x1b[31m", "\u2028sep", "한국어", "😀", "\ud800",
    "{{ ds }}", "{% for %}", "# not a comment", "\"\"\"; import os; os.system('x') #",
]  # fmt: skip


@pytest.mark.parametrize("value", TRICKY)
def test_string_literals_are_exact(value):
    assert ast.literal_eval(string_literal(value)) == value
    assert "\n" not in string_literal(value)
    assert ast.literal_eval(block_string_literal(value)) == value


def test_quote_style_matches_ruff_format():
    assert string_literal("x") == '"x"'
    assert string_literal("it's") == '"it\'s"'
    assert string_literal('say "hi"') == "'say \"hi\"'"


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -5, 10**30, 1.5, [], {}, [1, [2, {"a": None}]],
     {"k": "v", "n": [True, 1.25]}, ["x" * 100, "y" * 100]],
)  # fmt: skip
def test_literals_round_trip(value):
    assert ast.literal_eval(literal(value)) == value


def test_non_finite_floats_are_float_calls():
    assert literal(float("nan")) == 'float("nan")'
    assert eval(literal(float("inf"))) == float("inf")
    assert eval(literal(float("-inf"))) == float("-inf")


def test_long_collections_explode_with_magic_trailing_comma():
    code = literal({"key": "v" * 90}, indent=1, used=4 + 5)
    assert code == '{\n        "key": "' + "v" * 90 + '",\n    }'


def test_width_counts_wide_characters_twice():
    assert text_width("한국") == 4
    assert text_width("ab") == 2


def test_call_inline_or_block():
    assert literal(Call("timedelta", kwargs=(("minutes", 5),))) == "timedelta(minutes=5)"
    long = literal(Call("Asset", kwargs=(("uri", "s3://" + "b" * 90),)), indent=1, used=8)
    assert long.startswith("Asset(\n        uri=")
    assert long.endswith(",\n    )")


def test_python_names_never_collide_or_shadow():
    taken = {"dag", "DAG"}
    names = [python_name(t, taken) for t in ["load-x", "load_x", "load.x", "class", "2nd", "dag", "DAG"]]
    assert names == ["load_x", "load_x_task", "load_x_task_2", "class_task", "task_2nd", "dag_task", "DAG_task"]
    assert len(set(names)) == len(names)
    assert all(isinstance(n, PyCode) for n in names)
