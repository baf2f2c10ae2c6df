"""Fixtures for the Airflow 2 target: the second venv (created once), an AIRFLOW_HOME, a loaded DagBag."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from dagfactory.emit import compile_specs
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
from tests.airflow.harness import airflow_env, run_isolated

from .venv import REPO, ensure_venv

DUMP = Path(__file__).with_name("dagbag2_dump.py")
FIXTURES = REPO / "tests" / "fixtures"
# Every shipped spec and every valid fixture, each folder compiled on its own (dag_ids may repeat
# across folders), side by side in one DAG folder so one DagBag (one Airflow import) loads them all.
SOURCES = {
    "specs": REPO / "specs",
    "valid": FIXTURES / "valid",
    "catalog": FIXTURES / "catalog" / "valid",
    "airflow2": FIXTURES / "airflow2",
}


@pytest.fixture(scope="session")
def af2_python() -> Path:
    return ensure_venv()


@pytest.fixture(scope="session")
def af2_home(af2_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An AIRFLOW_HOME with a migrated SQLite DB, for `airflow dags test` on Airflow 2."""
    home = tmp_path_factory.mktemp("airflow2_home")
    started = time.monotonic()
    proc = run_isolated([str(af2_python.with_name("airflow")), "db", "migrate"], airflow_env(home), 300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    print(f"\n[airflow2] db migrate took {time.monotonic() - started:.1f}s")
    return home


def compile_for_2(folder: Path, out: Path) -> list[str]:
    """Compile every spec under ``folder`` for Airflow 2 into ``out``; the dag_ids."""
    results = compile_specs(discover([folder], folder, REPO), Config(airflow="2"))
    assert [d for r in results for d in r.diagnostics if d.is_error] == []
    for result in results:
        target = out / result.spec.output_relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(result.text or "", encoding="utf-8")
    return [r.pipeline.dag_id for r in results if r.pipeline is not None]


@pytest.fixture(scope="session")
def af2_dags(af2_python: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    """(DAG folder, dag_ids per source) of everything compiled for target 2."""
    root = tmp_path_factory.mktemp("airflow2_dags")
    ids = {name: compile_for_2(folder, root / name) for name, folder in SOURCES.items()}
    shutil.copytree(REPO / "generated_dags" / "example_callables", root / "specs" / "example_callables")
    shutil.copy(SOURCES["catalog"] / "catalog_callables.py", root / "catalog")
    (root / ".airflowignore").write_text("example_callables/\ncatalog_callables.py\n")
    return root, ids


def pythonpath(root: Path) -> str:
    # The helper modules the specs import live beside their DAGs, as in a real deployment's dags folder.
    return f"{root / 'specs'}:{root / 'catalog'}"


@pytest.fixture(scope="session")
def af2_dagbag(af2_python: Path, af2_dags: tuple[Path, dict[str, list[str]]], tmp_path_factory) -> dict[str, Any]:
    root, _ = af2_dags
    env = airflow_env(tmp_path_factory.mktemp("airflow2_parse"), root) | {"PYTHONPATH": pythonpath(root)}
    proc = run_isolated([str(af2_python), str(DUMP), str(root)], env, 300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)
