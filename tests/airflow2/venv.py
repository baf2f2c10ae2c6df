"""The second virtual environment: Airflow 2.11 for the target-2 tests, created on first use.

Kept in ``.venv-af2/`` at the repo root and reused while its stamp matches REQUIREMENTS
(a fresh install takes about two minutes). A file lock makes concurrent sessions wait for
one install instead of racing. Nothing here imports Airflow.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-af2"
LOCK = REPO / ".venv-af2.lock"
# Pinning apache-airflow in the same pip command makes pip pick provider releases that support it.
REQUIREMENTS = (
    "apache-airflow==2.11.2",
    "apache-airflow-providers-amazon",  # sql_to_s3 and the S3 operators
    "apache-airflow-providers-standard",  # class paths under airflow.providers.standard (every_feature.yaml)
    "virtualenv",  # Airflow 2's @task.virtualenv refuses to parse without it (taskflow_flavours.yaml)
)
STAMP = VENV / ".dagfactory-af2-stamp"
INSTALL_TIMEOUT_S = 1200


def _python() -> Path:
    return VENV / "bin" / "python"


def _current() -> bool:
    try:
        ok = subprocess.run([str(_python()), "-c", "import airflow"], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
    return ok and STAMP.is_file() and STAMP.read_text() == "\n".join(REQUIREMENTS)


def ensure_venv() -> Path:
    """The Airflow 2 interpreter, installing it first when missing or stale."""
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _current():
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
            pip = [str(_python()), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
            subprocess.run([*pip, "-q", *REQUIREMENTS], check=True, timeout=INSTALL_TIMEOUT_S)
            STAMP.write_text("\n".join(REQUIREMENTS))
            print(f"\n[airflow2] installed {' '.join(REQUIREMENTS)} in {time.monotonic() - started:.0f}s")
    return _python()
