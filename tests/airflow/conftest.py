"""Fixtures for tests that run real Airflow 3 (see harness.py for the helpers themselves)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .harness import load_dagbag, migrate_db


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so the markers work even before pyproject.toml lists them.
    config.addinivalue_line("markers", "airflow: runs real Airflow in a subprocess")
    config.addinivalue_line(
        "markers", "slow: runs `airflow dags test` (~15 s each); select with -m slow, skip with -m 'not slow'"
    )


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One isolated AIRFLOW_HOME per test session, its SQLite DB migrated once (~6 s)."""
    home = tmp_path_factory.mktemp("airflow_home")
    started = time.monotonic()
    migrate_db(home)
    print(f"\n[airflow_home] db migrate took {time.monotonic() - started:.1f}s in {home}")
    return home


@pytest.fixture(scope="session")
def dagbag_loader(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str | Path], dict[str, Any]]:
    """load_dagbag bound to a session AIRFLOW_HOME (no DB needed just to parse)."""
    home = tmp_path_factory.mktemp("airflow_home_parse")
    return lambda folder: load_dagbag(folder, airflow_home=home)
