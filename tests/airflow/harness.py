"""Run real Airflow 3 against DAG folders, each run in a subprocess with an isolated AIRFLOW_HOME.

Why subprocesses: `import airflow` costs ~3 s and rewires logging, warnings and config globally;
keeping it out of pytest's process keeps the other tests fast and unaffected.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
DUMP_SCRIPT = HERE / "dagbag_dump.py"
DAGS_TEST_TIMEOUT_S = 180.0
DAGBAG_TIMEOUT_S = 120.0
DB_MIGRATE_TIMEOUT_S = 300.0


def venv_bin(name: str) -> Path:
    """An executable beside the running interpreter (not resolved: that would leave the venv)."""
    return Path(sys.executable).with_name(name)


def airflow_env(airflow_home: Path, dags_folder: Path | None = None) -> dict[str, str]:
    """Environment for an Airflow subprocess that can never see the developer's ~/airflow.

    Every inherited AIRFLOW* variable is dropped (AIRFLOW_HOME, AIRFLOW_CONFIG, AIRFLOW__*,
    AIRFLOW_CONN_*, AIRFLOW_VAR_*), then only what the harness decides is set.
    We do not use core.unit_test_mode: it swaps in Airflow's own unit_tests.cfg, which points
    dags_folder at Airflow's test tree and turns examples back on.
    """
    home = Path(airflow_home).resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW_CONFIG": str(home / "airflow.cfg"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
            # Safe mode skips files lacking the words "airflow" and "dag": a generated file
            # that lost them must show up as missing DAGs, not vanish silently.
            "AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
            # Importing DAG files must not drop __pycache__ into the committed generated_dags/.
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if dags_folder is not None:
        env["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(dags_folder).resolve())
    return env


def run_isolated(
    cmd: Sequence[str], env: Mapping[str, str], timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """subprocess.run, but a timeout kills the whole process group (task runners fork children)."""
    proc = subprocess.Popen(
        list(cmd),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(
            f"timed out after {timeout:.0f}s: {' '.join(cmd)}\n"
            f"--- stdout (tail) ---\n{out[-4000:]}\n--- stderr (tail) ---\n{err[-4000:]}"
        )
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)


def migrate_db(airflow_home: Path) -> None:
    """Create the SQLite metadata DB that `airflow dags test` needs (~6 s)."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    cmd = [str(venv_bin("airflow")), "db", "migrate"]
    proc = run_isolated(cmd, airflow_env(airflow_home), DB_MIGRATE_TIMEOUT_S)
    if proc.returncode != 0:
        pytest.fail(f"airflow db migrate failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


@functools.cache
def scratch_home() -> Path:
    """A throwaway AIRFLOW_HOME for DagBag loads: parsing needs config but no DB."""
    path = Path(tempfile.mkdtemp(prefix="dagfactory-airflow-home-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def load_dagbag(folder: str | Path, airflow_home: Path | None = None, attrs: Path | None = None) -> dict[str, Any]:
    """Fill a real DagBag from `folder` in one subprocess; return dagbag_dump.py's JSON.

    Shape: {dag_folder, import_errors: {abs_path: msg}, serialization_errors: {dag_id: tb},
    warnings: [{category, filename, lineno, message}], dags: {dag_id: {...}}, timing_seconds}.
    ``attrs``: a JSON file of more task attributes to dump (see dagbag_dump.py), under ``spec_attrs``.
    """
    home = airflow_home or scratch_home()
    folder = Path(folder).resolve()
    cmd = [sys.executable, str(DUMP_SCRIPT), str(folder), *([str(attrs)] if attrs else [])]
    proc = run_isolated(cmd, airflow_env(home, folder), DAGBAG_TIMEOUT_S)
    if proc.returncode != 0:
        pytest.fail(f"dagbag_dump.py failed ({proc.returncode}) for {folder}:\n{proc.stderr}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"dagbag_dump.py printed non-JSON ({exc}):\n{proc.stdout[:2000]}\n{proc.stderr}")


def run_dags_test(
    airflow_home: Path,
    dags_folder: str | Path,
    dag_id: str,
    logical_date: str = "2024-04-01",
    *,
    conf: Mapping[str, Any] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = DAGS_TEST_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """`airflow dags test DAG_ID LOGICAL_DATE`: one real DAG run in-process, no scheduler.

    Task logs (including `Running command: ...` and bash output) land in stdout.
    Returns the CompletedProcess; the caller asserts (see `assert_dags_test_ok`).
    """
    cmd = [str(venv_bin("airflow")), "dags", "test", dag_id, logical_date, *extra_args]
    if conf is not None:
        cmd += ["--conf", json.dumps(conf)]
    return run_isolated(cmd, airflow_env(Path(airflow_home), Path(dags_folder)), timeout)


def dagrun_state(stdout: str) -> str | None:
    """Final run state from the `DagRun Finished: ... state=success, ...` log line, if any."""
    match = re.search(r"DagRun Finished: .*?\bstate=(\w+)", stdout)
    return match.group(1) if match else None


def assert_dags_test_ok(proc: subprocess.CompletedProcess[str]) -> None:
    """Fail with the run's output tail: a bare non-zero exit explains nothing."""
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(proc.args)} exited {proc.returncode}\n"
            f"--- stdout (tail) ---\n{proc.stdout[-6000:]}\n--- stderr (tail) ---\n{proc.stderr[-6000:]}"
        )
