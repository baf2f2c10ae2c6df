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


@pytest.mark.parametrize("value", [1e16, -4.6e16, 1.7976931348623157e308, 5e-324, 1e-05, 0.1, 123.0])
def test_float_literals_are_exact_and_written_as_ruff_format_writes_them(value: float) -> None:
    text = literal(value)
    assert "e+" not in text  # ruff format writes 1e16, not 1e+16
    assert ast.literal_eval(text) == value


def test_a_long_id_gets_a_short_variable_and_its_edges_stay_in_ruff_format_style(tmp_path) -> None:
    """Task ids may be 250 characters: their variables are cut to MAX_NAME (still unique), so
    an edge between two of them reads as one statement in the layout ruff format keeps."""
    from dagfactory.emit.pycode import MAX_NAME
    from tests.check.spec_body import HEAD
    from tests.emit.test_render_taskflow import render
    from tests.test_hardening_injection import assert_ruff_accepts

    taken: set[str] = set()
    long_id = "a" * 250
    first, second = python_name(long_id, taken), python_name(long_id + "b", taken)
    assert len(first) == MAX_NAME
    assert first != second
    assert len(second) <= MAX_NAME + len("_task_99")  # a suffix makes it unique
    ids = ["x" * 200 + str(i) for i in range(4)] + ["y" * 38 + "1", "y" * 38 + "2"]
    tasks = "".join(f"  {t}: {{operator: empty}}\n" for t in ids)
    chains = [f"{ids[0]} >> {ids[1]}", f"[{ids[0]}, {ids[1]}] >> {ids[2]}", f"{ids[3]} >> [{ids[4]}, {ids[5]}]"]
    edges = "edges:\n" + "".join(f'  - "{chain}"\n' for chain in [*chains, f"{ids[4]} >> {ids[5]}"])
    text = render(tmp_path, HEAD + "tasks:\n" + tasks + edges)
    assert f'task_id="{ids[0]}"' in text
    assert_ruff_accepts([text], tmp_path / "ruff")
