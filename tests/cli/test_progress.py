"""The progress line: on a terminal's stderr with ``--format text`` only, redrawn with ``\\r`` and
cleared at the end; never in a pipe, in JSON or GitHub output, or with ``-q``. Run as a real
subprocess whose stderr is a pseudo-terminal."""

from __future__ import annotations

import errno
import io
import os
import pty
import re
import subprocess
import tty
from pathlib import Path

import pytest

from dagfactory.cli.progress import Progress

from ..conftest import DAGFACTORY, MINIMAL_SPEC

SPECS = 4


@pytest.fixture
def repo(project: Path) -> Path:
    for i in range(SPECS):
        (project / "specs" / f"s{i}.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", f"Pipeline {i}"))
    return project


def run_on_terminal(cwd: Path, *args: str) -> tuple[int, str, str]:
    """Exit status, stdout (a pipe) and everything written to stderr (a pseudo-terminal)."""
    master, slave = pty.openpty()
    tty.setraw(slave)  # no "\n" -> "\r\n": every "\r" read back is one the program wrote
    proc = subprocess.Popen(
        [str(DAGFACTORY), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as exc:  # EIO: the program closed its end
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    stdout = proc.stdout.read() if proc.stdout else b""
    return proc.wait(timeout=120), stdout.decode(), b"".join(chunks).decode()


LINE = re.compile(r"\r(checking|rendering) (\d+)/(\d+) specs(?:, [\d,]+/s, (?:\d+m)?\d+s left)?")


@pytest.mark.parametrize("command", ["validate", "compile"])
def test_a_terminal_sees_a_progress_line_that_is_cleared_at_the_end(repo: Path, command: str):
    code, stdout, stderr = run_on_terminal(repo, command, "--no-cache")
    assert code == 0, stdout + stderr
    drawn = LINE.findall(stderr)
    stages = ["checking", "rendering"] if command == "compile" else ["checking"]
    assert [stage for stage in stages if (stage, str(SPECS), str(SPECS)) in drawn] == stages
    assert ("checking", "1", str(SPECS)) in drawn  # the first spec is shown at once
    *_, last, blanks, summary = stderr.split("\r")  # the last line drawn, blanked out, then the summary
    assert LINE.match("\r" + last)
    assert blanks == " " * len(last)
    assert summary.startswith("checked " if command == "validate" else "compiled "), stderr
    assert "specs," not in summary
    assert "specs," not in stdout


@pytest.mark.parametrize(
    "args",
    [["--format", "json"], ["--format", "github"], ["-q"]],
    ids=["json", "github", "quiet"],
)
@pytest.mark.parametrize("command", ["validate", "compile"])
def test_json_github_and_quiet_never_show_it(repo: Path, command: str, args: list[str]):
    code, stdout, stderr = run_on_terminal(repo, command, "--no-cache", *args)
    assert code == 0, stdout + stderr
    assert "\r" not in stderr + stdout
    assert "specs," not in stderr + stdout


@pytest.mark.parametrize("command", ["validate", "compile"])
def test_a_pipe_never_shows_it(repo: Path, command: str):
    proc = subprocess.run([str(DAGFACTORY), command, "--no-cache"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    assert "specs," not in proc.stderr
    assert f"{SPECS} specs" in proc.stderr  # the summary still is


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_redraws_are_throttled_and_the_clock_gives_rate_and_time_left(monkeypatch: pytest.MonkeyPatch):
    now = [100.0]
    monkeypatch.setattr("dagfactory.cli.progress.time.monotonic", lambda: now[0])
    screen = _Terminal()
    progress = Progress(1000, True, screen)
    for _ in range(500):  # 500 specs in 0.05 s: one redraw (the first), none until 0.1 s have passed
        now[0] += 0.0001
        progress.step()
    assert screen.getvalue() == "\rchecking 1/1,000 specs"  # no rate from the first instants
    now[0] = 110.0  # 10 s in: 501 specs done, 50/s, 499 left -> 10 s
    progress.step()
    line = "checking 501/1,000 specs, 50/s, 10s left"
    assert screen.getvalue() == "\rchecking 1/1,000 specs\r" + line
    now[0] = 210.0  # 110 s in: 502 done, 4.6/s, 498 left -> 1m48s
    progress.step()
    progress.clear()
    longer = "checking 502/1,000 specs, 5/s, 1m49s left"
    assert screen.getvalue() == f"\rchecking 1/1,000 specs\r{line}\r{longer}\r{' ' * len(longer)}\r"


def test_off_means_nothing_written():
    screen = _Terminal()
    progress = Progress(10, False, screen)
    for _ in range(10):
        progress.step()
    progress.clear()
    assert screen.getvalue() == ""


def test_the_step_after_a_stage_is_done_starts_the_next(monkeypatch: pytest.MonkeyPatch):
    """compile counts each spec twice (checked, then rendered): one Progress, two stages."""
    now = [100.0]
    monkeypatch.setattr("dagfactory.cli.progress.time.monotonic", lambda: now[0])
    screen = _Terminal()
    progress = Progress(2, True, screen, stages=("checking", "rendering"))
    for _ in range(4):
        now[0] += 1.0  # every step redraws
        progress.step()
    lines = screen.getvalue().split("\r")[1:]
    assert [line.split(",")[0].rstrip() for line in lines] == [
        "checking 1/2 specs",
        "checking 2/2 specs",
        "rendering 1/2 specs",
        "rendering 2/2 specs",
    ]
