"""Hostile file and folder names, property-tested: a spec's path reaches the generated file only
as an escaped comment below two fixed header lines, so no name can choose the source encoding
(PEP 263), end the comment, or add code; names that would shadow a module are refused (DF404).
"""

from __future__ import annotations

import ast
import io
import itertools
import json
import os
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagfactory.diagnostics import has_errors, printable
from dagfactory.emit import compile_specs, writer
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
from tests.conftest import MINIMAL_SPEC, property_settings, run_cli

BASE = property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 150)
# Each example writes a tree and compiles it (~40 ms): CI's 1500 becomes 500 here (about 20 s).
SETTINGS = settings(BASE, max_examples=max(150, BASE.max_examples // 3))
NAME_MAX = 255  # bytes in one file name (ext4, xfs, tmpfs)

# What makes a name dangerous: encoding declarations and UTF-7 payloads (a UTF-7 '"""' and
# line feed), every line break Python or an editor knows, control characters, quotes,
# backslashes, comment and option syntax, and bytes that are not UTF-8 (lone surrogates).
NAME_PIECES = [
    "-*- coding: utf-7 -*-", "# -*- coding: latin-1 -*-", "coding=utf-7", "coding:utf_7", "vim: set fileencoding=utf-7",
    "+ACIAIgAi-", "+AAo-", "+AA0-", "+ACM-", "\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c",
    "\x01", "\x1b[31m", "\x7f", "\x9b", "\t", "'", '"', '"""', "\\", "\\n", "#", "--", "-", "-rf", "--help",
    " ", "\u202e", "\ufeff", "\u200b", "ü", "😀", "\udcff", "\udc80", "%0A", "::error::", ":1:1: error[DF001]:",
]  # fmt: skip
piece = st.one_of(
    st.sampled_from(NAME_PIECES), st.text(st.characters(codec=None, exclude_characters="/\0"), max_size=3)
)
raw_name = st.one_of(st.lists(piece, min_size=1, max_size=8).map("".join), st.just("x" * 300))


def fitting(name: str, suffix: str = "") -> str:
    """``name`` cut so that it plus ``suffix`` fits in one file name on disk."""
    while len(os.fsencode(name + suffix)) > NAME_MAX:
        name = name[:-1]
    return name + suffix


folder_name = raw_name.map(fitting).filter(lambda n: n and not n.startswith("."))
# A spec's own name: not hidden, not `_defaults`-like, and (starting "d-") never a module name.
file_name = raw_name.map(lambda n: fitting("d-" + n, ".yaml"))

CANARY_SPEC = """{head}dag_id: {dag_id}
doc_md: |
  +ACIAIgAi-
  __import__('pathlib').Path({canary!r}).touch()
  +ACIAIgAi-
"""


def spec_text(dag_id: str, canary: Path) -> str:
    """A valid spec whose doc_md becomes code if the file is ever decoded as UTF-7."""
    return CANARY_SPEC.format(head=MINIMAL_SPEC, dag_id=dag_id, canary=str(canary))


def compile_tree(project: Path, relative: list[str], text: str) -> tuple[str, bytes]:
    """Write one spec at specs/<relative...>, compile it with the real stages and writer; return
    its display path and the bytes written."""
    spec = project.joinpath("specs", *relative)
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(text, encoding="utf-8")
    config = Config(specs=project / "specs", out=project / "dags")
    [result] = compile_specs(discover([config.specs], config.specs, project), config)
    assert not has_errors(result.diagnostics), [d.format_text() for d in result.diagnostics]
    plan = writer.plan({result.spec.output_relative: (result.spec.display, result.text or "")}, config.out, prune=False)
    assert plan.conflicts == []
    assert writer.apply(plan) == []
    [target] = plan.write
    return result.spec.display, target.read_bytes()


def imported_as(data: bytes) -> ast.Module:
    """What Python's importer makes of the bytes: encoding detection on bytes, then compile."""
    assert tokenize.detect_encoding(io.BytesIO(data).readline)[0] == "utf-8"
    return compile(data, "<dag>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)


def shape(module: ast.Module) -> str:
    """The code, with every string constant blanked: names, calls and statements only."""
    for node in ast.walk(module):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(module)


def comments(data: bytes) -> list[str]:
    return [t.string for t in tokenize.tokenize(io.BytesIO(data).readline) if t.type == tokenize.COMMENT]


@pytest.mark.airflow
def test_hostile_folder_and_file_names_add_no_code(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    _, reference = compile_tree(tmp_path / "plain", ["plain.yaml"], spec_text("hostile", canary))
    reference_shape = shape(imported_as(reference))
    samples: list[Path] = []
    projects = itertools.count()

    @SETTINGS
    @given(folders=st.lists(folder_name, max_size=2), name=file_name)
    def check(folders: list[str], name: str) -> None:
        project = tmp_path / f"p{next(projects)}"
        display, data = compile_tree(project, [*folders, name], spec_text("hostile", canary))
        assert data.startswith(writer.HEADER.encode())
        assert shape(imported_as(data)) == reference_shape
        assert comments(data) == [*writer.HEADER.splitlines(), "# Source: " + printable(display)]
        samples.append(project / "dags")

    check()
    # the riskiest name, by hand: before the fix, Python read this spec's DAG file as UTF-7
    utf7 = tmp_path / "utf7"
    compile_tree(utf7, ["x -*- coding: utf-7 -*-.yaml"], spec_text("utf7", canary))
    files = [f for folder in [utf7 / "dags", *samples[:20]] for f in folder.rglob("*.py")]
    assert len(files) == 1 + min(20, len(samples))
    run_dag_files(files, tmp_path / "home")
    assert not canary.exists(), "a spec value ran as code"


def run_dag_files(files: list[Path], home: Path) -> None:
    """Execute each generated file in one Python process, as Airflow's importer would."""
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env |= {"AIRFLOW_HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    script = "import runpy, sys\nfor f in sys.argv[1:]:\n    runpy.run_path(f)\nprint(len(sys.argv) - 1)"
    proc = subprocess.run(
        [sys.executable, "-c", script, *(str(f.absolute()) for f in files)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.split() == [str(len(files))]


# ----------------------------------------------------------------------------- module names


def test_specs_that_would_shadow_a_module_are_refused_at_their_file(project: Path) -> None:
    python = MINIMAL_SPEC.replace("operator: empty", "operator: python\n    python_callable: my_tasks.jobs:run")
    for name in ("airflow", "pendulum", "datetime", "email", "my_tasks"):
        (project / "specs" / f"{name}.yaml").write_text(MINIMAL_SPEC + f"dag_id: dag_{name}\n")
    (project / "specs" / "uses_callable.yaml").write_text(python)
    class_path = "operator: airflow.providers.standard.operators.empty.EmptyOperator"  # free arguments, read by name
    free_callables = f"{class_path}\n    on_kill_callable: kill_hooks.jobs:run\n    on_success_callback: [ok_hooks:run]"
    (project / "specs" / "uses_class_path.yaml").write_text(MINIMAL_SPEC.replace("operator: empty", free_callables))
    for name in ("kill_hooks", "ok_hooks"):
        (project / "specs" / f"{name}.yaml").write_text(MINIMAL_SPEC + f"dag_id: dag_{name}\n")
    (project / "specs" / "airflow_jobs").mkdir()  # a sub-folder never hides a package
    (project / "specs" / "airflow_jobs" / "airflow.yaml").write_text(MINIMAL_SPEC + "dag_id: nested\n")
    (project / "specs" / "my-dag.yaml").write_text(MINIMAL_SPEC)  # not importable: shadows nothing
    proc = run_cli("validate", "--format", "json", cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = sorted((d["path"], d["line"], d["column"], d["code"]) for d in json.loads(proc.stdout))
    assert found == [
        (f"specs/{n}.yaml", 1, 1, "DF404")
        for n in ("airflow", "datetime", "email", "kill_hooks", "my_tasks", "ok_hooks", "pendulum")
    ]
    assert not (project / "generated_dags" / "pendulum.py").exists()
    proc = run_cli("compile", cwd=project)
    assert proc.returncode == 1
    assert "which shadows the imported module 'pendulum'" in proc.stdout
    assert list((project / "generated_dags").iterdir()) == []


# ----------------------------------------------------------------------------- option-like names


@pytest.mark.airflow
def test_option_like_spec_names_validate_compile_and_check(project: Path) -> None:
    """Specs named `--help.yaml` and `-rf.yaml`: the CLI takes them after `--`, and `dagfactory check`
    hands their DAG files to its Airflow worker by absolute path (a guard: this held before too)."""
    for name in ("--help", "-rf"):
        (project / "specs" / f"{name}.yaml").write_text(MINIMAL_SPEC + f"dag_id: dag{name.replace('-', '_')}\n")
    proc = run_cli("validate", "--", "--help.yaml", "-rf.yaml", cwd=project / "specs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "checked 2 specs: 0 errors" in proc.stderr, proc.stdout + proc.stderr
    proc = run_cli("compile", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (project / "generated_dags").iterdir()) == ["--help.py", "-rf.py"]
    proc = run_cli("check", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "checked 2 specs in Airflow: 0 errors" in proc.stderr, proc.stdout + proc.stderr


def test_file_names_forge_no_lines_in_compile_reports_and_diffs(project: Path) -> None:
    """`compile -v` names each file written, `compile --check` prints a diff: one line per file header,
    whatever line breaks or undecodable bytes the spec's name holds."""
    names = ["a\nwrote forged.py", "b\r+++ forged.py", os.fsdecode(b"c\xff\xfe")]
    for name in names:
        (project / "specs" / f"{name}.yaml").write_text(MINIMAL_SPEC + f"dag_id: dag_{names.index(name)}\n")
    proc = subprocess.run([sys.executable, "-m", "dagfactory", "compile", "-v"], cwd=project, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.decode("utf-8").split("\n")  # strict: all UTF-8
    assert [line.split(" ", 1)[0] for line in lines if line] == ["wrote"] * 3 + ["compiled"]
    assert not any("\r" in line for line in lines)
    (project / "specs" / f"{names[0]}.yaml").write_text(MINIMAL_SPEC.replace("A test", "Another") + "dag_id: dag_0\n")
    proc = subprocess.run([sys.executable, "-m", "dagfactory", "compile", "--check"], cwd=project, capture_output=True)
    assert proc.returncode == 1, proc.stderr
    diff = proc.stdout.decode("utf-8").split("\n")
    assert [line for line in diff if line.startswith(("--- ", "+++ "))] == [
        "--- a/generated_dags/a\\x0awrote forged.py.py",
        "+++ b/generated_dags/a\\x0awrote forged.py.py",
    ]
