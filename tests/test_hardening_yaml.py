"""Hostile YAML: each file is accepted as documented or refused with a diagnostic at a line.

The loader's rules (YAML 1.2 core schema, no tags, no merge keys, string keys only, limits on
size, depth and alias expansion) are stated in dagfactory/load/document.py and SECURITY.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagfactory.check.project import check_spec
from dagfactory.load.discover import discover
from dagfactory.load.document import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, load_bytes, load_file, load_text
from tests.conftest import MINIMAL_SPEC, run_cli

# Nine of each level: f alone (line 6) expands to 597,871 values, i to 387 million.
LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9 if prev else ['lol'] * 9)}]\n"
    for prev, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)


def only_error(text: str) -> tuple[int, int, str, str]:
    doc, diagnostics = load_text(text, "s.yaml")
    assert doc is None
    assert len(diagnostics) == 1
    d = diagnostics[0]
    return d.line, d.column, d.code, d.message


# ----------------------------------------------------------------------------- refused, at a line

REFUSED = [
    # (name, text, line, code, words in the message)
    ("alias bomb", LAUGHS, 6, "DF004", "expands to more than"),
    ("deep flow list", "a: " + "[" * 10_000 + "]" * 10_000, 1, "DF001", "nesting depth"),
    ("deep flow map", "a: " + "{" * 10_000 + "}" * 10_000, 1, "DF001", "nesting depth"),
    ("deep but parseable", "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), 1, "DF004", "nesting is deeper"),
    ("self-referencing alias", "x: 1\na: &a [*a]\n", 2, "DF004", "nesting is deeper"),
    ("python object tag", "a: !!python/object/apply:os.system ['touch PWNED']\n", 1, "DF003", "tag"),
    ("python name tag", "a: !!python/name:os.system\n", 1, "DF003", "tag"),
    ("local tag", "a: !shell rm -rf /\n", 1, "DF003", "tag"),
    ("timestamp tag", "a: !!timestamp 2024-01-01\n", 1, "DF003", "tag"),
    ("binary tag", "a: !!binary aGk=\n", 1, "DF003", "tag"),
    ("set tag", "a: !!set {x}\n", 1, "DF003", "tag"),
    ("tag on a mapping", "a: !!omap [x: 1]\n", 1, "DF003", "tag"),
    ("bool tag on yes", "a: !!bool yes\n", 1, "DF003", "not a valid bool"),
    ("merge key", "base: &b {retries: 1}\ntask:\n  <<: *b\n", 3, "DF003", "merge keys"),
    ("integer key", "123: a\n", 1, "DF003", "is an integer"),
    ("null key", "null: a\n", 1, "DF003", "is null"),
    ("empty key", "? \n: a\n", 1, "DF003", "is null"),
    ("boolean key", "x: 1\ntrue: a\n", 2, "DF003", "is a boolean"),
    ("list key", "? [a]\n: b\n", 1, "DF003", "plain string"),
    ("two documents", "a: 1\n---\nb: 2\n", 2, "DF001", "single document"),
    ("huge integer", "a: " + "9" * 5000 + "\n", 1, "DF004", "more than 100 digits"),
    ("huge hex", "a: 0x" + "f" * 5000 + "\n", 1, "DF004", "more than 100 digits"),
    ("float overflow", "x: 1\na: 1e999\n", 2, "DF004", "too large"),
    ("tab indentation", "a:\n\tb: 1\n", 2, "DF001", "invalid YAML"),
    ("raw NEL", "a: 1\nb: x\x85y\n", 2, "DF001", "U+0085"),
    ("raw line separator", "a: x\u2028y\n", 1, "DF001", "U+2028"),
]


@pytest.mark.parametrize(("name", "text", "line", "code", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_hostile_text_is_refused_at_a_line(name: str, text: str, line: int, code: str, words: str) -> None:
    got_line, column, got_code, message = only_error(text)
    assert (got_line, got_code) == (line, code), message
    assert column >= 1
    assert words in message


def test_a_tag_never_constructs_anything(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\nb: !!python/object/new:pathlib.Path ['{marker}']\n"
    load_text(text, "s.yaml")
    load_bytes(text.encode(), "s.yaml")
    assert not marker.exists()


# ----------------------------------------------------------------------------- accepted as documented


def test_yaml_1_1_booleans_stay_strings_then_fail_where_a_boolean_is_required() -> None:
    doc, diagnostics = load_text("a: yes\nb: on\nc: off\nd: no\ne: y\n", "s.yaml")
    assert doc is not None
    assert diagnostics == []
    assert doc.data == {"a": "yes", "b": "on", "c": "off", "d": "no", "e": "y"}


def test_yes_for_catchup_is_a_type_error_with_a_hint(tmp_path: Path) -> None:
    spec = tmp_path / "specs" / "p.yaml"
    spec.parent.mkdir()
    spec.write_text(MINIMAL_SPEC + "catchup: yes\n", encoding="utf-8")
    [found] = discover([spec.parent], spec.parent, tmp_path)
    [d] = [d for d in check_spec(found).diagnostics if d.is_error]
    assert (d.line, d.code) == (MINIMAL_SPEC.count("\n") + 1, "DF103")
    assert "true or false" in d.message
    assert "YAML 1.2" in (d.hint or "")


def test_anchors_reused_across_tasks_are_accepted() -> None:
    text = "cmd: &cmd echo hi\nt:\n  a: {bash_command: *cmd}\n  b: {bash_command: *cmd}\n"
    doc, diagnostics = load_text(text, "s.yaml")
    assert diagnostics == []
    assert doc is not None
    assert doc.data["t"] == {"a": {"bash_command": "echo hi"}, "b": {"bash_command": "echo hi"}}


def test_dates_and_version_directives_do_not_change_types() -> None:
    doc, diagnostics = load_text("%YAML 1.1\n---\nd: 2024-03-25\nb: yes\no: 0o17\nq: '0o17'\n", "s.yaml")
    assert diagnostics == []
    assert doc is not None
    assert doc.data == {"d": "2024-03-25", "b": "yes", "o": 15, "q": "0o17"}


def test_an_integer_of_100_digits_is_still_a_number() -> None:
    doc, _ = load_text("a: " + "9" * 100 + "\n", "s.yaml")
    assert doc is not None
    assert doc.data["a"] == int("9" * 100)


# ----------------------------------------------------------------------------- bytes on disk

BAD_BYTES = [
    ("NUL byte", b"a: 1\nb: x\x00y\n", 2, "NUL byte"),
    ("invalid UTF-8", b"a: 1\nb: \xff\xfe\xfd\n", 2, "not valid UTF-8"),
    ("UTF-16 LE with BOM", "a: 1\n".encode("utf-16"), 1, "UTF-16"),
    ("UTF-16 BE with BOM", b"\xfe\xff" + "a: 1\n".encode("utf-16-be"), 1, "UTF-16"),
    ("encoded surrogate", b"a: \xed\xa0\x80\n", 1, "not valid UTF-8"),
]


@pytest.mark.parametrize(("name", "raw", "line", "words"), BAD_BYTES, ids=[b[0] for b in BAD_BYTES])
def test_bad_bytes_are_refused_at_a_line(name: str, raw: bytes, line: int, words: str) -> None:
    doc, [d] = load_bytes(raw, "s.yaml")
    assert doc is None
    assert (d.line, d.code) == (line, "DF001")
    assert words in d.message


def test_utf8_bom_is_accepted() -> None:
    doc, diagnostics = load_bytes(b"\xef\xbb\xbfa: 1\n", "s.yaml")
    assert diagnostics == []
    assert doc is not None
    assert doc.data == {"a": 1}


def test_a_symlink_out_of_the_specs_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text(MINIMAL_SPEC, encoding="utf-8")
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "link.yaml").symlink_to(secret)
    (specs / "ok.yaml").write_text(MINIMAL_SPEC, encoding="utf-8")
    (specs / "inside.yaml").symlink_to(specs / "ok.yaml")  # a link that stays inside is fine
    results = {f.relative.name: check_spec(f) for f in discover([specs], specs, tmp_path)}
    [d] = results["link.yaml"].diagnostics
    assert (d.line, d.code) == (1, "DF001")
    assert "outside the specs folder" in d.message
    assert results["link.yaml"].document is None
    assert results["ok.yaml"].diagnostics == []


# ----------------------------------------------------------------------------- bounded memory, real CLI

LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
sys.argv = ["dagfactory", *sys.argv[1:]]
from dagfactory.cli import run
run()
"""


def test_big_hostile_files_fail_cleanly_within_one_gib(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "bomb.yaml").write_text(LAUGHS, encoding="utf-8")
    (specs / "deep.yaml").write_text("a: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    with (specs / "huge.yaml").open("w", encoding="utf-8") as handle:
        line = "# " + "x" * 97 + "\n"
        handle.write(line * (50 * 1024 * 1024 // len(line)))
    assert (specs / "huge.yaml").stat().st_size > 50_000_000 > MAX_FILE_BYTES
    proc = subprocess.run(
        [sys.executable, "-c", LIMITED, "validate", "specs"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Traceback" not in output
    assert "DF900" not in output
    assert "specs/bomb.yaml:6:" in output
    assert f"more than {MAX_NODES:,} values" in output
    assert "specs/deep.yaml:1:" in output
    assert "nesting depth" in output
    assert "specs/huge.yaml:1:1: error[DF004]" in output


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:  # sparse: the size is all the loader may look at
        handle.truncate(50 * 1024 * 1024)
    doc, [d] = load_file(path)
    assert doc is None
    assert d.code == "DF004"
    assert f"{MAX_FILE_BYTES:,}" in d.message


def test_cli_reports_a_nul_byte_file_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "nul.yaml").write_bytes(MINIMAL_SPEC.encode() + b"x: \x00\n")
    proc = run_cli("validate", cwd=tmp_path, env={"PYTHONWARNINGS": os.environ.get("PYTHONWARNINGS", "")})
    assert proc.returncode == 1
    assert f"specs/nul.yaml:{MINIMAL_SPEC.count(chr(10)) + 1}:4: error[DF001]" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
