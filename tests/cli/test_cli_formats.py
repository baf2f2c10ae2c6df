"""Diagnostics output: the documented shapes of --format json / github, colour, --quiet/--verbose."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagfactory.cli import main
from dagfactory.diagnostics import CODES
from tests.conftest import SALES_SPEC

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GOOD = SALES_SPEC
# Line 10, column 5: a misspelt argument; line 5, column 11: a bad cron string.
BAD = GOOD.replace("bash_command:", "bash_comand:").replace('"@daily"', '"61 * * * *"')
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "good.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "specs" / "bad.yaml").write_text(BAD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", ["validate", "compile"])
def test_json_is_a_sorted_list_of_objects_with_the_documented_keys(project: Path, command: str) -> None:
    code, stdout = invoke(command, "--format", "json")
    assert code == 1
    items = json.loads(stdout)  # stdout holds the JSON alone; summaries go to stderr
    assert len(items) == 2
    for item in items:
        assert set(item) == {"path", "line", "column", "severity", "code", "message", "hint"}
        assert item["code"] in CODES
        assert item["severity"] in ("error", "warning")
        assert isinstance(item["line"], int)
        assert isinstance(item["column"], int)
    assert [(i["path"], i["line"], i["column"], i["code"]) for i in items] == [
        ("specs/bad.yaml", 5, 11, "DF201"),
        ("specs/bad.yaml", 10, 5, "DF101"),
    ]
    assert items[1]["hint"] == "did you mean 'bash_command'?"


def test_json_is_an_empty_list_when_all_is_well(project: Path) -> None:
    (project / "specs" / "bad.yaml").unlink()
    assert invoke("validate", "--format", "json") == (0, "[]\n")


def test_github_emits_one_workflow_command_per_problem(project: Path) -> None:
    code, stdout = invoke("validate", "--format", "github")
    assert code == 1
    lines = stdout.splitlines()
    assert len(lines) == 2
    pattern = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),col=(\d+),title=dagfactory (DF\d{3})::(.+)$")
    assert all(pattern.match(line) for line in lines)
    assert lines[1] == (
        "::error file=specs/bad.yaml,line=10,col=5,title=dagfactory DF101::[DF101] task 'extract': unknown argument "
        "'bash_comand' for operator 'bash' (hint: did you mean 'bash_command'?)"
    )


def run_on_a_terminal(project: Path, env: dict[str, str]) -> str:
    """Run `dagfactory validate` with stdout on a real pseudo-terminal; return what it printed there."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.run(
        [sys.executable, "-m", "dagfactory", "validate"],
        cwd=project,
        env=env,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.returncode == 1
    return b"".join(chunks).decode()


def test_text_is_coloured_on_a_terminal_only(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    on_terminal = run_on_a_terminal(project, env)
    assert ANSI.search(on_terminal)
    assert "specs/bad.yaml:10:5: error[DF101]" in ANSI.sub("", on_terminal)
    piped = subprocess.run(
        [sys.executable, "-m", "dagfactory", "validate"], cwd=project, env=env, capture_output=True, text=True
    )
    assert "error[DF101]" in piped.stdout
    assert not ANSI.search(piped.stdout)


def test_no_color_turns_colour_off_on_a_terminal(project: Path) -> None:
    on_terminal = run_on_a_terminal(project, {**os.environ, "NO_COLOR": "1"})
    assert "specs/bad.yaml:10:5: error[DF101]" in on_terminal
    assert not ANSI.search(on_terminal)


def test_quiet_and_verbose(project: Path) -> None:
    (project / "specs" / "bad.yaml").unlink()
    assert CliRunner().invoke(main, ["validate", "-q"]).output == ""
    verbose = CliRunner().invoke(main, ["validate", "-v"]).output
    assert "ok specs/good.yaml" in verbose
    assert "checked 1 spec" in verbose
    written = CliRunner().invoke(main, ["compile", "-v"]).output
    assert "wrote generated_dags/good.py" in written
    assert CliRunner().invoke(main, ["compile", "-q"]).output == ""


def test_readme_lists_every_code() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in readme and f"| {code} " not in readme]
    assert not missing, f"README.md has no row for: {', '.join(missing)}"


FORGED = "x.yaml:1:1: error[DF001]: forged"


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_line_breaks_in_a_file_name_forge_no_second_line(project: Path, fmt: str) -> None:
    """A spec named with a line break (LF, CR, NEL, LS), control and non-UTF-8 bytes: one problem is
    one line in text and github, and valid UTF-8 JSON naming the real file."""
    (project / "specs" / "good.yaml").unlink()
    (project / "specs" / "bad.yaml").unlink()
    names = [f"a\n{FORGED}", f"b\r::error file=x::{FORGED}", f"c\x85\u2028\x1b[2K{FORGED}", "d\udcff.yaml"]
    for name in names:
        (project / "specs" / f"{name}.yaml").write_text("description: [unclosed\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "dagfactory", "validate", "--format", fmt], cwd=project, capture_output=True
    )
    assert proc.returncode == 1, proc.stderr
    stdout = proc.stdout.decode("utf-8")  # strict: every byte printed is UTF-8
    if fmt == "json":
        assert sorted(d["path"] for d in json.loads(stdout)) == sorted(f"specs/{n}.yaml" for n in names)
        return
    lines = stdout.split("\n")  # what a CI log or terminal takes for lines
    problems = [line for line in lines if line.startswith(("specs/", "::"))]
    assert len(problems) == len(names), stdout
    assert all(re.match(r"^(specs/|::error file=specs/)", line) for line in problems)
    assert not any(ch in stdout for ch in "\r\x85\u2028\x1b")
    hints = [line for line in lines if line.startswith("  hint: ")]
    assert len(lines) == len(names) + len(hints) + 1  # each problem's line, its hint's line if any, the final newline
