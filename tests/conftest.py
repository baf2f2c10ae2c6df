"""Shared test helpers: the repo layout and a way to run the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


# Every test in these folders needs Airflow (3, 2, or the Celery cluster's): the fast layer,
# `pytest -m "not airflow"`, runs without it installed.
AIRFLOW_FOLDERS = tuple(REPO / "tests" / name for name in ("airflow", "airflow2", "cluster"))
_HYPOTHESIS_HOME: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps caches (unicode data, constants) in a home folder, ``.hypothesis/`` by
    default: a private temporary one per process (xdist workers included), removed at the end,
    leaves nothing behind in the repo and lets parallel runs never share it."""
    global _HYPOTHESIS_HOME
    from hypothesis.configuration import set_hypothesis_home_dir

    _HYPOTHESIS_HOME = Path(tempfile.mkdtemp(prefix="dagfactory-hypothesis-"))
    set_hypothesis_home_dir(str(_HYPOTHESIS_HOME))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _HYPOTHESIS_HOME is not None:
        shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(folder in item.path.parents for folder in AIRFLOW_FOLDERS):
            item.add_marker(pytest.mark.airflow)


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


@pytest.fixture(scope="session", autouse=True)
def _no_cache_left_in_the_checkout() -> object:
    """Tests that run `compile` or `validate` in the checkout (the cluster deploys its specs from
    it) would leave `.dagfactory_cache/` behind: it is removed at the end when the run made it."""
    cache = REPO / ".dagfactory_cache"
    existed = cache.exists()
    yield
    if not existed:
        shutil.rmtree(cache, ignore_errors=True)
