"""Shared test helpers: the repo layout and a way to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
DAGFACTORY = Path(sys.executable).with_name("dagfactory")

MINIMAL_HEAD = """\
description: A test pipeline
owner: data-eng
business_owner:
  name: Finance
schedule: "@daily"
start_date: 2024-01-01
"""
MINIMAL_TASKS = """\
tasks:
  only:
    operator: empty
"""
MINIMAL_SPEC = MINIMAL_HEAD + MINIMAL_TASKS


# A realistic one-task spec shared by the workflow tests (bash_command on line 10).
SALES_SPEC = """\
description: Load the daily sales
owner: data-eng
business_owner:
  name: Sales Analytics
schedule: "@daily"
start_date: 2024-01-01
tasks:
  extract:
    operator: bash
    bash_command: echo extract
"""


def property_settings(env_var: str, default: int):
    """Hypothesis settings shared by the property and fuzz tests: a fixed seed (CI replays the
    same examples), no example database, and ``env_var`` to run more of them (CI does)."""
    from hypothesis import HealthCheck, settings

    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=int(os.environ.get(env_var, str(default))),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def run_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `dagfactory` console script as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([str(DAGFACTORY), *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder with specs/ and generated_dags/."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "generated_dags").mkdir()
    return tmp_path
