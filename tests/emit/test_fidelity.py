"""Compiles => faithful: the names a spec brings into generated code, duplicate keywords,
import paths as Python reads them, output-file collisions, and class-path arguments.

Each class here was a silent change of meaning or a SyntaxError at import before; the
property harness (tests/airflow/test_property_loads.py) loads such specs in real Airflow.
"""

from __future__ import annotations

import ast
import builtins
import keyword
from pathlib import Path

import pytest

from dagfactory.diagnostics import Diagnostic
from dagfactory.emit import compile_specs
from dagfactory.emit.pycode import identifier, python_name
from dagfactory.load.discover import discover
from dagfactory.values import parse_import_path

from ..conftest import MINIMAL_HEAD

CLASS_PATH = "airflow.providers.standard.operators.python.PythonOperator"


def compile_project(root: Path, specs: dict[str, str]) -> tuple[dict[str, str], list[Diagnostic]]:
    folder = root / "specs"
    folder.mkdir(exist_ok=True)
    for name, text in specs.items():
        (folder / name).write_text(text, encoding="utf-8")
    results = compile_specs(discover([folder], folder, root))
    texts = {r.spec.output_relative.as_posix(): r.text for r in results if r.text is not None}
    return texts, [d for r in results for d in r.diagnostics if d.is_error]


def module_bindings(text: str) -> list[str]:
    """Every name the generated module binds, in order (imports, DOC_MD, `as dag`, task variables)."""
    bound: list[str] = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound += [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, ast.Assign):
            bound += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            bound.append(node.optional_vars.id)
    return bound


HOSTILE_TASKS = """\
tasks:
  float: {operator: python, python_callable: "os.path:join", params: {x: .nan}}
  pendulum: {operator: bash, bash_command: echo, retry_delay: 5m}
  BashOperator: {operator: bash, bash_command: echo}
  __debug__: {operator: empty}
  DAG: {operator: empty, on_failure_callback: ["etl.a:notify", "etl.b:notify", "etl.a:dag"]}
  join: {operator: empty, on_success_callback: "etl.a:pendulum"}
  match: {operator: empty, on_retry_callback: "etl.a:float"}
"""


def test_generated_names_never_collide_nor_shadow_builtins(tmp_path: Path) -> None:
    texts, errors = compile_project(tmp_path, {"p.yaml": MINIMAL_HEAD + HOSTILE_TASKS})
    assert errors == []
    bound = module_bindings(texts["p.py"])
    assert len(bound) == len(set(bound)), sorted(n for n in bound if bound.count(n) > 1)
    assert [n for n in bound if n in dir(builtins) or keyword.iskeyword(n) or keyword.issoftkeyword(n)] == []
    # imported callables sharing an attribute name keep distinct names, each from its module
    assert (
        "from etl.a import dag as a_dag\n"
        "from etl.a import float as a_float\n"
        "from etl.a import notify\n"
        "from etl.a import pendulum as a_pendulum\n"  # isort's way: an aliased import on a line of its own
    ) in texts["p.py"]
    assert "from etl.b import notify as b_notify" in texts["p.py"]
    assert "on_failure_callback=[notify, b_notify, a_dag]" in texts["p.py"]


def test_python_name_skips_reserved_names() -> None:
    taken: set[str] = set()
    names = [python_name(t, taken) for t in ["float", "__debug__", "match", "_", "print", "x"]]
    assert names == ["float_task", "__debug___task", "match_task", "__task", "print_task", "x"]


@pytest.mark.parametrize("name", ["ﬁle", "ｆ", "class", "1x"])
def test_identifier_refuses_names_python_would_read_differently(name: str) -> None:
    with pytest.raises(ValueError, match="not a usable Python identifier"):
        identifier(name)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a.class:f", "'a.class:f' is not a valid import path: 'class' is a Python keyword"),
        ("ｍｙ.mod:f", "Python reads 'ｍｙ' as 'my'; write 'my'"),
        ("mod:ﬁle", "Python reads 'ﬁle' as 'file'; write 'file'"),
        ("mod:ｃｌａｓｓ", "'ｃｌａｓｓ' is a Python keyword"),
        ("mod:a-b", "'a-b' is not a Python name"),
    ],
)
def test_import_paths_are_read_as_python_reads_them(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_import_path(path)


def test_df205_names_the_field_and_points_at_the_value(tmp_path: Path) -> None:
    spec = MINIMAL_HEAD + (
        "default_args:\n  on_failure_callback: mod:ﬁle\n"
        "tasks:\n"
        "  a: {operator: python, python_callable: a.class:f}\n"
        "  b: {operator: empty, on_retry_callback: [ok.mod:f, ｍｏｄ:f]}\n"
    )
    _, errors = compile_project(tmp_path, {"p.yaml": spec})
    found = [(d.code, d.line, d.column, d.message.split(":")[0]) for d in errors]
    assert found == [
        ("DF205", 8, 24, "on_failure_callback"),
        ("DF205", 10, 42, "python_callable"),
        ("DF205", 11, 54, "on_retry_callback"),
    ]


@pytest.mark.parametrize("key", ["task_id", "dag", "inlets", "outlets"])
def test_a_class_path_operator_cannot_be_given_what_the_compiler_sets(tmp_path: Path, key: str) -> None:
    spec = MINIMAL_HEAD + f"tasks:\n  a:\n    operator: {CLASS_PATH}\n    python_callable: os.path:join\n    {key}: x\n"
    texts, errors = compile_project(tmp_path, {"p.yaml": spec})
    assert texts == {}
    assert [(d.code, d.line, d.column) for d in errors] == [("DF206", 11, 5)]
    assert f"`{key}` is set by the compiler" in errors[0].message
    assert errors[0].hint


def test_class_path_callbacks_and_callables_are_imported_not_passed_as_text(tmp_path: Path) -> None:
    spec = MINIMAL_HEAD + (
        f"tasks:\n  a:\n    operator: {CLASS_PATH}\n    python_callable: os.path:join\n"
        "    on_execute_callback: os.path:exists\n    on_skipped_callback: [os.path:isdir, os.path:isfile]\n"
        "    op_kwargs: {python_callable: not.imported:f}\n"
    )
    texts, errors = compile_project(tmp_path, {"p.yaml": spec})
    assert errors == []
    text = texts["p.py"]
    assert "from os.path import exists, isdir, isfile, join" in text
    assert "python_callable=join," in text
    assert "on_execute_callback=exists," in text
    assert "on_skipped_callback=[isdir, isfile]," in text
    assert 'op_kwargs={"python_callable": "not.imported:f"},' in text  # a nested value stays data


@pytest.mark.parametrize("value", ["5", "[a.b:c, 7]", "{x: y}", "not-a-path"])
def test_class_path_callables_that_are_not_import_paths_are_df205(tmp_path: Path, value: str) -> None:
    spec = MINIMAL_HEAD + f"tasks:\n  a:\n    operator: {CLASS_PATH}\n    python_callable: os.path:join\n"
    spec += f"    on_execute_callback: {value}\n"
    texts, errors = compile_project(tmp_path, {"p.yaml": spec})
    assert texts == {}
    assert [d.code for d in errors] == ["DF205"]
    assert errors[0].line == 11
    assert errors[0].message.startswith("on_execute_callback: ")


@pytest.mark.parametrize("names", [("x.yaml", "x.yml"), ("Sales.yaml", "sales.yaml")])
def test_two_specs_with_one_output_file_are_df402(tmp_path: Path, names: tuple[str, str]) -> None:
    first, second = names
    specs = {first: "dag_id: one\n" + MINIMAL_HEAD + "tasks:\n  a: {operator: empty}\n"}
    specs[second] = "dag_id: two\n" + MINIMAL_HEAD + "tasks:\n  a: {operator: empty}\n"
    texts, errors = compile_project(tmp_path, specs)
    assert texts == {}
    ((code, path, message),) = [(d.code, d.path, d.message) for d in errors]
    later = sorted(names)[1]
    assert (code, path) == ("DF402", f"specs/{later}")
    assert f"as specs/{sorted(names)[0]} does" in message


def test_the_render_guard_compiles_so_it_also_refuses_what_ast_parse_accepts(tmp_path: Path, monkeypatch) -> None:
    """`__debug__ = ...` parses, but no Python compiles it: were naming ever to fail again,
    the guard reports a compiler bug instead of writing a file Airflow cannot import."""
    from dagfactory.emit import pycode
    from dagfactory.emit.dag import RenderError

    monkeypatch.setattr(pycode, "is_reserved", lambda name: False)
    with pytest.raises(RenderError, match="assign to __debug__"):
        compile_project(tmp_path, {"p.yaml": MINIMAL_HEAD + "tasks:\n  __debug__: {operator: empty}\n"})
