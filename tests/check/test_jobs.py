"""``--jobs``: specs checked and rendered in worker processes give the same findings, in the
same order, the same exit status and the same bytes as one process does; the parent keeps
summaries only; and a pool working for ``validate`` never imports Jinja2 or Airflow."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagfactory.check import jobs
from dagfactory.check.project import CHECK_MODULES, check_project
from dagfactory.cli import main
from dagfactory.emit.cache import context_fingerprint
from dagfactory.load.config import Config
from dagfactory.load.discover import discover

from ..conftest import REPO, run_cli

sys.path.insert(0, str(REPO / "bench"))
import gen

ELAPSED = re.compile(r"\(\d+\.\d+s\)")


def spec(index: int, *, errors: bool) -> tuple[str, str]:
    """(file name, text) of generated spec ``index``: a benchmark pipeline whose lineage reads
    the previous spec's output (so every spec's docs name its neighbours), with cross-spec and
    per-spec problems mixed in."""
    name = f"{gen.dag_id(index)}.yaml"
    text = gen.spec_yaml(index, 6)
    lineage = f"lineage:\n  inputs: [s3://bucket/t{index - 1}]\n  outputs: [s3://bucket/t{index}]\n"
    if index % 50 == 7:  # a second writer of one asset: DF701 (an error)
        lineage = lineage.replace(f"t{index}]", f"t{index}, s3://bucket/t3]") if errors else lineage
    text = text.replace("tasks:\n", lineage + "tasks:\n", 1)
    if index % 13 == 5 and index % 40 != 2:  # a pool nobody declares: a warning
        text = text.replace("    operator: bash\n", "    operator: bash\n    pool: nowhere\n", 1)
    if index % 40 == 1:  # pools declared in several specs
        slots = 4 + (index // 40 if errors else 0)  # differently: DF206
        text += f"pools:\n  shared: {{slots: {slots}}}\n"
    if index % 40 == 2:
        text = text.replace("    operator: bash\n", "    operator: bash\n    pool: shared\n", 1)
    if not errors:
        return name, text
    if index % 17 == 3:  # the previous spec's dag_id: DF402
        text = text.replace(f"dag_id: {gen.dag_id(index)}", f"dag_id: {gen.dag_id(index - 1)}")
    if index % 19 == 4:
        text += "tasks: [unclosed\n"
    if index % 23 == 6:
        text += "bogus_key: 1\n"
    if index % 31 == 8:  # a task's upstream that does not exist
        text += "  - task_0000 >> missing_task\n"
    return name, text


def repository(root: Path, count: int, *, errors: bool) -> Path:
    """A project of ``count`` generated specs; some in a sub-folder with shared defaults."""
    specs = root / "specs"
    (specs / "team").mkdir(parents=True)
    (specs / "team" / "_defaults.yaml").write_text(
        "owner: team\ntags: [team]\n" + ("dag_id: not_shareable\n" if errors else "")
    )
    for index in range(count):
        name, text = spec(index, errors=errors)
        folder = specs / "team" if index % 10 == 9 else specs
        (folder / name).write_text(text.replace("owner: bench\n", "") if folder != specs else text)
    if errors:
        (specs / "json.yaml").write_text(gen.spec_yaml(count, 3).replace(gen.dag_id(count), "json_dag"))
    return root


def invoke(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, ELAPSED.sub("(TIME)", result.output)


def written(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def pool_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes for any number of specs (the shipped examples are too few to pay)."""
    monkeypatch.setattr(jobs, "MIN_PER_WORKER", 1)


def test_few_specs_stay_in_this_process_and_many_use_every_job():
    assert jobs.workers_for(12, 8) == 1
    assert jobs.workers_for(10_000, 1) == 1
    assert jobs.workers_for(10_000, 2) == 2
    assert jobs.workers_for(2 * jobs.MIN_PER_WORKER, 4) == 2


@pytest.mark.usefixtures("pool_always")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_shipped_examples_compile_to_the_same_bytes_with_a_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
):
    runs = {}
    for count in ("1", "2"):
        out = tmp_path / f"out{count}"
        code, output = invoke(
            REPO, monkeypatch, "compile", "--no-cache", "--format", fmt, "--jobs", count, "--out", str(out)
        )
        runs[count] = (code, output.replace(str(out), "OUT"), written(out))
    assert runs["1"] == runs["2"]
    assert runs["1"][0] == 0
    golden = written(REPO / "generated_dags")
    assert runs["1"][2] == {name: golden[name] for name in runs["1"][2]}
    assert len(runs["1"][2]) == len(list((REPO / "specs").rglob("[!_]*.yaml"))) > 10
    code, output = invoke(REPO, monkeypatch, "validate", "--no-cache", "--format", fmt, "--jobs", "2")
    assert (code, output) == invoke(REPO, monkeypatch, "validate", "--no-cache", "--format", fmt, "--jobs", "1")
    assert "DF209" in output


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_generated_repository_with_errors_reports_the_same_with_a_pool(tmp_path: Path, fmt: str):
    root = repository(tmp_path, 300, errors=True)
    # --no-cache: a second validate would say how many specs it restored (tests/check/test_validate_cache.py)
    runs = [run_cli("validate", "--no-cache", "--format", fmt, "--jobs", count, cwd=root) for count in ("1", "2")]
    compiles = [run_cli("compile", "--format", fmt, "--jobs", count, cwd=root) for count in ("1", "2")]
    assert [(r.returncode, r.stdout, r.stderr) for r in runs[1:]] == [
        (runs[0].returncode, runs[0].stdout, runs[0].stderr)
    ]
    assert (compiles[1].returncode, compiles[1].stdout) == (compiles[0].returncode, compiles[0].stdout)
    assert runs[0].returncode == compiles[0].returncode == 1
    for code in ("DF001", "DF101", "DF206", "DF302", "DF402", "DF404", "DF701"):
        assert code in runs[0].stdout, code
    assert not (root / "generated_dags").exists() or written(root / "generated_dags") == {}


def test_slim_results_report_what_whole_ones_do(tmp_path: Path):
    """The cross-spec rules on summaries (positions of a few values only) land every finding
    where they do on whole documents."""
    root = repository(tmp_path, 120, errors=True)
    config = Config(specs=root / "specs", out=root / "out")
    specs = discover([config.specs], config.specs, root)
    whole = check_project(specs, config)
    slim = check_project(specs, config, jobs=1, slim=True)
    assert [r.diagnostics for r in slim.results] == [r.diagnostics for r in whole.results]
    assert sum(len(r.diagnostics) for r in slim.results) > 40
    kept = [r.document for r in slim.results if r.document is not None]
    assert all(r.graph is None and r.kit is None for r in slim.results)
    assert max(len(d.nodes) for d in kept) < 20  # positions of dag_id, lineage and pools only
    # the cache's context (who reads and writes what) is the same from the parts slim results keep
    whole_docs = [r.document for r in whole.results if r.document is not None]
    parts = [r.context for r in slim.results if r.document is not None]
    assert context_fingerprint(kept, parts) == context_fingerprint(whole_docs)
    assert context_fingerprint(kept, parts) != context_fingerprint(kept)  # the slim data lacks task-less tasks


def test_a_generated_repository_compiles_to_the_same_bytes_with_a_pool(tmp_path: Path):
    root = repository(tmp_path, 300, errors=False)
    first = run_cli("compile", "--jobs", "1", "--out", "one", cwd=root)
    second = run_cli("compile", "--jobs", "2", "--out", "two", cwd=root)
    assert first.returncode == second.returncode == 0, first.stdout + first.stderr
    assert first.stdout == second.stdout
    assert "warning[DF206]" in first.stdout  # the undeclared pool
    one, two = written(root / "one"), written(root / "two")
    assert one == two
    assert len(one) == 300
    assert b"bench_00004" in one["bench_00005.py"]  # its docs name the producer of what it reads
    # and a second compile (the cache restores every spec, in this process) leaves them alone
    again = run_cli("compile", "--jobs", "2", "--out", "two", cwd=root)
    assert "0 written, 300 unchanged" in again.stderr
    assert written(root / "two") == one
    # validate shares the cache the compiles left: a warm run reports what a cold one does
    cold = run_cli("validate", "--no-cache", "--jobs", "2", cwd=root)
    warm = run_cli("validate", "--jobs", "2", cwd=root)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert "(300 unchanged since the last run, not checked again)" in warm.stderr
    # and what validate's workers checked is what the cache keeps for the next validate
    shutil.rmtree(root / ".dagfactory_cache")
    filled = run_cli("validate", "--jobs", "2", cwd=root)
    warm = run_cli("validate", "--jobs", "1", cwd=root)
    assert (filled.stdout, warm.stdout) == (cold.stdout, cold.stdout)
    assert "unchanged" not in filled.stderr
    assert "(300 unchanged since the last run, not checked again)" in warm.stderr


PROBE = """
import sys

def heavy(job):
    from dagfactory.check.project import check_alone
    check_alone(job)
    return sorted(m for m in sys.modules if m.split(".")[0] in ("jinja2", "airflow"))
"""


def test_workers_checking_specs_import_neither_jinja2_nor_airflow(tmp_path: Path):
    (tmp_path / "probe.py").write_text(PROBE)
    root = repository(tmp_path / "project", 4, errors=False)
    code = f"""
import sys
sys.path.insert(0, {str(tmp_path)!r})
from pathlib import Path
import probe
from dagfactory.check import jobs
from dagfactory.check.project import CHECK_MODULES
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
jobs.MIN_PER_WORKER = 1
config = Config(specs=Path({str(root / "specs")!r}))
specs = discover([config.specs], config.specs, Path({str(root)!r}))
found = list(jobs.run_each(probe.heavy, [(s, config, "run", True) for s in specs], 2, CHECK_MODULES))
assert len(found) == len(specs) == 4, found
assert found == [[]] * 4, found
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.stdout == "ok\n", done.stderr
    assert CHECK_MODULES  # what validate's workers preload


def test_ctrl_c_stops_the_workers_without_a_traceback(tmp_path: Path):
    root = repository(tmp_path, 400, errors=False)
    command = [str(Path(sys.executable).parent / "dagfactory"), "validate", "--jobs", "2"]
    proc = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not _workers_of(proc.pid):
        time.sleep(0.01)
    assert proc.poll() is None, "validate finished before its workers were seen"
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: every process of the terminal's group
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert (proc.returncode, err.strip()) == (130, "interrupted")  # as a shell reports Ctrl-C, workers or not


def _workers_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` or one of its children (the fork server's workers)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    children = {p for p, parent in parents.items() if parent == pid}
    return [p for p, parent in parents.items() if parent in children]
