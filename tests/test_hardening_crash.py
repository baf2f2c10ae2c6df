"""Crash-safe writes: SIGKILL `dagfactory compile` at random moments while it rewrites ~200 files;
every DAG file left behind is the complete old or the complete new version, and no temp file
is left where Airflow would parse it (temp names start with '.' and end in '.tmp')."""

from __future__ import annotations

import ast
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import DAGFACTORY, MINIMAL_SPEC

SPECS = 200
KILLS = 8
SEED = 20240325


def write_specs(specs: Path, version: str) -> None:
    for i in range(SPECS):
        text = MINIMAL_SPEC.replace("A test pipeline", f"pipeline {i}, version {version}")
        (specs / f"p{i:03}.yaml").write_text(text + "doc_md: |\n" + f"  notes {version}\n" * 200, encoding="utf-8")


def compile_into(project: Path, out: Path) -> None:
    proc = subprocess.run([str(DAGFACTORY), "compile", "--out", str(out)], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def snapshot(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.py"))}


def test_sigkill_never_leaves_a_partial_dag_file(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    write_specs(specs, "old")
    compile_into(tmp_path, tmp_path / "old")
    write_specs(specs, "new")
    started = time.monotonic()
    compile_into(tmp_path, tmp_path / "new")
    full_run = time.monotonic() - started  # to aim the kills across the whole run, writes included
    old, new = snapshot(tmp_path / "old"), snapshot(tmp_path / "new")
    assert len(old) == len(new) == SPECS
    assert all(old[name] != new[name] for name in old)

    rng = random.Random(SEED)
    out = tmp_path / "generated_dags"
    states: list[str] = []
    for _ in range(KILLS):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(tmp_path / "old", out)
        proc = subprocess.Popen([str(DAGFACTORY), "compile"], cwd=tmp_path, stdout=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.7, 1.0) * full_run)  # writes come last
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        states.append(assert_old_or_new(out, old, new))
    # Where the kills landed depends on the machine's speed, so it is reported, not asserted.
    print(f"kill outcomes: {states}")
    compile_into(tmp_path, out)  # an interrupted run leaves nothing that blocks the next one
    assert snapshot(out) == new


def assert_old_or_new(out: Path, old: dict[str, str], new: dict[str, str]) -> str:
    entries = sorted(p.name for p in out.iterdir())
    py_files = [name for name in entries if name.endswith(".py")]
    assert sorted(py_files) == sorted(old), "a DAG file went missing or a temp file ends in .py"
    assert all(name.startswith(".") and name.endswith(".tmp") for name in entries if name not in old)
    versions = []
    for name in py_files:
        text = (out / name).read_text(encoding="utf-8")
        assert text in (old[name], new[name]), f"{name} is neither the old nor the new version"
        ast.parse(text)
        versions.append("new" if text == new[name] else "old")
    if set(versions) == {"old"}:
        return "all old"
    return "all new" if set(versions) == {"new"} else "mixed"
