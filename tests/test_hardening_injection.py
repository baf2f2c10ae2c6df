"""Injection-proof output, property-tested: hostile text in every string field of a spec
either gets a diagnostic or reaches the generated file as exact Python literals.

Hypothesis runs derandomized (a fixed seed), so a failure reproduces on every machine;
every example that ever failed is replayed from tests/regressions/ (test_hardening_regressions.py).
Raise DAGFACTORY_HYPOTHESIS_EXAMPLES for a longer run (CI's nightly job, or a local soak).
"""

from __future__ import annotations

import ast
import keyword
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dagfactory.diagnostics import has_errors
from dagfactory.emit import compile_specs
from dagfactory.emit.describe import markdown_cell
from dagfactory.emit.pycode import block_string_literal, literal, string_literal
from dagfactory.load.discover import SpecFile
from dagfactory.load.document import _resolve_plain, _TooLong
from tests.conftest import property_settings

SETTINGS = property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 100)
EXAMPLES = SETTINGS.max_examples
RUFF = Path(sys.executable).with_name("ruff")
DUMP_SCRIPT = Path(__file__).resolve().parent / "airflow" / "dagbag_dump.py"

# Pieces an attacker (or an unlucky copy-paste) would put in a spec: every quote style, escapes,
# line breaks Python or YAML treat specially, control characters, Jinja and comment syntax, and
# characters from every Unicode plane (YAML cannot carry lone surrogates, so none here).
HOSTILE_PIECES = [
    '"', "'", '"""', "'''", '\\"', "\\", "\\\\", "\\n", "\n", "\r", "\r\n", "\t", "\x00", "\x01", "\x07",
    "\x1b[31m", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\ufeff", "\u200b", "\u202e", "{{", "}}", "{%",
    "%}", "{#", "#}", "{{ ds }}", "#", "# noqa", "'''; import os #", '"); __import__("os").system("id") #',
    "\\N{BULLET}", "\\x41", "${x}", "%s", "`", " ", "  ", "-", ": ", "- ", "? ", "&a", "*a", "!!python/object",
    "|", ">", "@", "%", "---", "...", "한국어", "😀", "\U0001d518", "\U000e0001", "\U0010fffd", "\ufdd0", "ﬀ",
    "Ⅻ", "\u0301", "\u00a0", "\u3000", "yes", "no", "on", "null", "~", "0o17", "0x1F", "1e3", ".inf", "<<",
]  # fmt: skip

piece = st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=4))
hostile_text = st.lists(piece, max_size=10).map("".join)
nonempty_text = st.lists(piece, min_size=1, max_size=10).map("".join).filter(bool)
# Asset URIs: hostile text after a scheme, whitespace removed (the compiler refuses a URI
# without a scheme or with whitespace, DF105); after the host, so urllib can split it like
# Airflow does. Airflow never normalises an ``x-`` scheme.
hostile_uri = nonempty_text.map(lambda t: "x-hostile://host/" + "".join(c for c in t if not c.isspace()))
asset_name = nonempty_text.filter(lambda t: not t.isspace() and t not in ("self", "context"))
identifier_key = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
task_id = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.\-]{1,30}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_.\-]{250}", fullmatch=True),
)


class _SpecDumper(yaml.SafeDumper):
    """yaml.safe_dump(allow_unicode=True), with two PyYAML emitter gaps closed so the YAML text
    means the value: a string our YAML 1.2 reader would take for another type (``0o17``) is
    quoted, and NEL/LS/PS are escaped (PyYAML writes them raw in single quotes, where they
    read back as line breaks; the loader refuses them raw: DF001)."""


def _reads_as_string(plain: str) -> bool:
    """Whether our YAML 1.2 reader takes ``plain``, unquoted, for a string."""
    try:
        return isinstance(_resolve_plain(plain), str)
    except _TooLong:  # a number too long to read (a 250-digit task id): only quoted is it text
        return False


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    quote = not _reads_as_string(value) or any(c in value for c in "\x85\u2028\u2029")
    style = '"' if quote else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _represent_str)


HELPER = "hostile_helpers:take"  # a function taking any keyword arguments, beside the DAG files
TASKFLOW_ID = "taskflow.x"  # a TaskFlow task beside the drawn ids (never one of them)


@st.composite
def hostile_specs(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(task_id.filter(lambda t: t != TASKFLOW_ID), min_size=1, max_size=3, unique=True))
    tasks = {
        tid: {
            "operator": "bash",
            "bash_command": draw(nonempty_text),
            "doc_md": draw(hostile_text),
            "params": draw(st.dictionaries(identifier_key, hostile_text, max_size=2)),
            "inputs": draw(st.lists(hostile_uri, max_size=2)),
            "outputs": [{"uri": draw(hostile_uri), "name": draw(asset_name)}],
        }
        for tid in ids
    }
    tasks[ids[0]]["group"] = "hostile"  # not prefixed: a 250-character task id stays valid
    for tid in ids:  # some tasks are mapped over hostile values: expand lists or expand_kwargs sets
        task, how = tasks[tid], draw(st.sampled_from(["plain", "expand", "expand_kwargs"]))
        if how == "expand":
            task["expand"] = {"bash_command": [task.pop("bash_command"), *draw(st.lists(nonempty_text, max_size=2))]}
            if draw(st.booleans()):
                task["expand"]["env"] = draw(st.lists(st.dictionaries(identifier_key, hostile_text), min_size=1))
        elif how == "expand_kwargs":
            more = draw(st.lists(st.dictionaries(identifier_key, hostile_text, max_size=2), max_size=2))
            task["expand_kwargs"] = [{"bash_command": task.pop("bash_command")}] + [
                {"bash_command": draw(nonempty_text), "env": env} for env in more
            ]
        if how != "plain" and draw(st.booleans()):
            task["map_index_template"] = draw(nonempty_text)
    # A TaskFlow task taking hostile values and one key (hostile text) of the first task's result.
    args = draw(st.dictionaries(identifier_key.filter(lambda k: not keyword.iskeyword(k)), hostile_text, max_size=2))
    args["ref"] = {"xcom": ids[0], "key": draw(nonempty_text)}
    tasks[TASKFLOW_ID] = {"task": "python", "callable": HELPER, "args": args, "doc_md": draw(hostile_text)}
    spec: dict[str, Any] = {
        "description": draw(nonempty_text),
        "owner": draw(nonempty_text),
        "business_owner": {"name": draw(nonempty_text)},
        "schedule": "@daily",
        "start_date": "2024-01-01",
        "tags": draw(st.lists(nonempty_text.filter(lambda t: len(t) <= 100), max_size=3, unique=True)),
        "macros": draw(st.dictionaries(identifier_key, hostile_text, max_size=3)),
        "params": draw(st.dictionaries(identifier_key, hostile_text, max_size=3)),
        "lineage": {"inputs": draw(st.lists(hostile_uri, max_size=2))},
        "doc_md": draw(hostile_text),
        "groups": {"hostile": {"tooltip": draw(hostile_text), "prefix_group_id": False}},
        "tasks": tasks,
    }
    if len(ids) > 1:
        spec["edges"] = [{"from": ids[0], "to": ids[1], "label": draw(nonempty_text)}]
    return spec


def dump_spec(spec: dict[str, Any]) -> str:
    return yaml.dump(spec, Dumper=_SpecDumper, allow_unicode=True, sort_keys=False)


def compile_one(folder: Path, name: str, text: str) -> tuple[list, str | None]:
    """Write the spec into ``folder`` and run the real compiler stages on it."""
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    [result] = compile_specs([SpecFile(path, path.name, PurePosixPath(path.name))])
    return result.diagnostics, result.text


def string_constants(text: str) -> list[str]:
    return [n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def exact_values(spec: dict[str, Any]) -> list[str]:
    """Spec strings the generated file must hold as whole literals."""
    values = [spec["description"], spec["owner"], *spec["tags"]]
    for mapping in (spec["macros"], spec["params"]):
        values += [*mapping, *mapping.values()]
    for tid, task in spec["tasks"].items():
        if "task" in task:  # the TaskFlow task: its id, docs, argument values and the reference's key
            values += [tid, *(v for k, v in task["args"].items() if k != "ref"), task["args"]["ref"]["key"]]
            values += [task["doc_md"]] if task["doc_md"] else []
            continue
        values += [tid, *task["params"], *task["params"].values(), *task["inputs"], *mapped_strings(task)]
        values += [task["outputs"][0]["uri"], task["outputs"][0]["name"]]
        if task["doc_md"]:
            values.append(task["doc_md"])
    values.append(spec["groups"]["hostile"]["tooltip"])
    values += [edge["label"] for edge in spec.get("edges", [])]
    return values


def mapped_strings(task: dict[str, Any]) -> list[str]:
    """A task's bash commands (plain, mapped or in argument sets), env names and values, and its
    map_index_template."""
    sets = task.get("expand_kwargs") or [{"bash_command": c} for c in task.get("expand", {}).get("bash_command", [])]
    commands = [task["bash_command"]] if "bash_command" in task else [s["bash_command"] for s in sets]
    envs = [s["env"] for s in sets if "env" in s] + task.get("expand", {}).get("env", [])
    strings = commands + [text for env in envs for pair in env.items() for text in pair]
    return strings + ([task["map_index_template"]] if "map_index_template" in task else [])


def doc_values(spec: dict[str, Any]) -> list[str]:
    """Spec strings that only appear inside the generated DOC_MD (as Markdown table cells or notes)."""
    cells = [spec["business_owner"]["name"], *spec["lineage"]["inputs"]]
    notes = [spec["doc_md"].rstrip("\n")] if spec["doc_md"].strip() else []
    return [markdown_cell(c) for c in cells] + notes


def assert_exact(spec: dict[str, Any], text: str) -> None:
    constants = string_constants(text)
    present = set(constants)
    for value in exact_values(spec):
        assert value in present, f"{value!r} is not a literal of the generated file"
    doc = next(c for c in constants if c.startswith("# "))  # DOC_MD is the first string literal
    for value in doc_values(spec):
        assert value in doc, f"{value!r} is not in DOC_MD"


# ----------------------------------------------------------------------------- pycode alone

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
any_text = st.text(alphabet=st.characters(codec=None, categories=None))  # lone surrogates included


@SETTINGS
@given(value=any_text)
def test_string_literals_round_trip_any_text(value: str) -> None:
    assert ast.literal_eval(string_literal(value)) == value
    assert ast.literal_eval(block_string_literal(value)) == value
    assert "\n" not in string_literal(value)


@settings(SETTINGS, max_examples=EXAMPLES * 4)
@given(value=json_like, indent=st.integers(0, 3), used=st.integers(0, 100))
def test_literals_round_trip_nested_values(value: Any, indent: int, used: int) -> None:
    code = literal(value, indent, used)
    assert ast.literal_eval(code) == value


# ----------------------------------------------------------------------------- whole specs


def test_hostile_specs_compile_to_exact_literals(tmp_path: Path) -> None:
    sample: list[str] = []
    refused: list[str] = []

    @SETTINGS
    @given(spec=hostile_specs())
    def check(spec: dict[str, Any]) -> None:
        diagnostics, text = compile_one(tmp_path, "hostile", dump_spec(spec))
        if has_errors(diagnostics):  # allowed, but only as diagnostics (no exception got here)
            refused.append(diagnostics[0].format_text())
            return
        assert text is not None
        assert_exact(spec, text)
        if len(sample) < 120:
            sample.append(text)

    check()
    # Every generated field is valid by construction: nothing may be refused.
    assert refused == []
    assert len(sample) == min(120, EXAMPLES)
    assert_ruff_accepts(sample, tmp_path / "ruff")


def assert_ruff_accepts(texts: list[str], folder: Path) -> None:
    """The generated files are already in `ruff format` style (default 88 columns) and pass
    `ruff check` (pyflakes, pycodestyle's errors and warnings, import order)."""
    folder.mkdir()
    for i, text in enumerate(texts):
        (folder / f"dag_{i}.py").write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [str(RUFF), "format", "--isolated", "--check", "--diff", str(folder)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    lint = [str(RUFF), "check", "--isolated", "--select", "E4,E7,E9,F,I,W", str(folder)]
    proc = subprocess.run(lint, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


# ----------------------------------------------------------------------------- real Airflow


@pytest.mark.airflow
def test_hostile_dags_load_in_a_real_dagbag(tmp_path: Path) -> None:
    specs_dir, out = tmp_path / "specs", tmp_path / "dags"
    specs_dir.mkdir()
    out.mkdir()
    (out / "hostile_helpers.py").write_text("def take(**kwargs):\n    return kwargs\n")
    (out / ".airflowignore").write_text("hostile_helpers.py\n")
    expected: dict[str, dict[str, Any]] = {}

    @settings(SETTINGS, max_examples=30)
    @given(spec=hostile_specs())
    def collect(spec: dict[str, Any]) -> None:
        dag_id = f"hostile_{len(expected)}"
        spec = {"dag_id": dag_id, **with_airflow_asset_rules(spec)}
        diagnostics, text = compile_one(specs_dir, dag_id, dump_spec(spec))
        assert not has_errors(diagnostics), diagnostics
        (out / f"{dag_id}.py").write_text(text or "", encoding="utf-8")
        expected[dag_id] = spec

    collect()
    bag = dagbag(out, tmp_path / "airflow_home")
    assert bag["import_errors"] == {}
    assert sorted(bag["dags"]) == sorted(expected)
    for dag_id, spec in expected.items():
        assert_same_in_airflow(spec, bag["dags"][dag_id])


def with_airflow_asset_rules(spec: dict[str, Any]) -> dict[str, Any]:
    """Keep hostile asset names inside what Airflow's Asset() and the compiler (DF105) accept:
    not blank, ``self`` or ``context``. (The URIs already have an ``x-`` scheme.)"""
    for task in spec["tasks"].values():
        if "outputs" in task:
            task["outputs"] = [{"uri": a["uri"], "name": f"n{a['name']}"} for a in task["outputs"]]
    return spec


def assert_same_in_airflow(spec: dict[str, Any], dag: dict[str, Any]) -> None:
    assert dag["description"] == spec["description"]
    assert dag["tags"] == sorted(set(spec["tags"]))
    assert (dag["user_defined_macros"] or {}) == spec["macros"]
    assert dag["params"] == spec["params"]
    assert dag["default_args"]["owner"] == spec["owner"]
    labels = {f"{e['from']} >> {e['to']}": e["label"] for e in spec.get("edges", [])}
    assert dag["edge_labels"] == labels
    for tid, task in spec["tasks"].items():
        got = dag["tasks"][tid]
        assert got["task_group"] == ("hostile" if task.get("group") else None)
        if "task" in task:  # TaskFlow: its arguments, the reference an XComArg of its task and key
            assert got["templated"]["op_kwargs"] == task["args"]
            assert got["upstream"] == [task["args"]["ref"]["xcom"]]
            assert (got["doc_md"] or "", got["owner"]) == (task["doc_md"], spec["owner"])
            continue
        if "expand" in task:  # mapped: a MappedOperator holding the values
            assert got["expand"] == task["expand"]
        elif "expand_kwargs" in task:
            assert got["expand"] == task["expand_kwargs"]
        else:
            assert got["templated"]["bash_command"] == task["bash_command"]
        assert got["is_mapped"] is ("expand" in task or "expand_kwargs" in task)
        if "map_index_template" in task:
            assert got["map_index_template"] == task["map_index_template"]
        assert (got["doc_md"] or "") == task["doc_md"]
        assert got["owner"] == spec["owner"]
        assert got["params"] == {**spec["params"], **task["params"]}
        # DAG-level lineage inputs go on the root tasks when no task has its own
        root = not got["upstream"]
        own = any(t.get("inputs") for t in spec["tasks"].values())
        inputs = task["inputs"] if own else spec["lineage"]["inputs"] if root else []
        assert [a["uri"] for a in got["inlets"]] == inputs
        assert got["outlets"] == [task["outputs"][0]]


def dagbag(folder: Path, home: Path) -> dict[str, Any]:
    """tests/airflow/dagbag_dump.py in a subprocess with a throwaway AIRFLOW_HOME."""
    import json

    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = subprocess.run(
        [sys.executable, str(DUMP_SCRIPT), str(folder)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)
