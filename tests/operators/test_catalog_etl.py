"""The shipped ETL example runs for real on PostgreSQL and is idempotent.

specs/etl_orders_daily.yaml is compiled into generated_dags/ (committed); this test runs
that file with `airflow dags test` twice for the same logical date against the PostgreSQL
on 127.0.0.1:5432 (database `test`, user postgres, trust auth) and checks the loaded table.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.airflow.harness import airflow_env, assert_dags_test_ok, migrate_db, run_isolated, venv_bin

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "generated_dags"
# The machine's PostgreSQL; point the test elsewhere with DAGFACTORY_TEST_POSTGRES_URI.
DSN = os.environ.get("DAGFACTORY_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
LOGICAL_DATE = "2024-04-01"
# `airflow dags test` against a real PostgreSQL: both markers, by their definitions in pyproject.toml.
pytestmark = [pytest.mark.airflow, pytest.mark.slow]

EXPECTED = [("alice", 2, 1550), ("bob", 2, 1790), ("carol", 1, 4100)]


def _final_table() -> list[tuple[str, int, int]]:
    with psycopg.connect(DSN) as conn:
        rows = conn.execute(
            "SELECT customer, order_count, total_cents FROM etl_orders_daily WHERE order_date = %s ORDER BY customer",
            (LOGICAL_DATE,),
        ).fetchall()
    return [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("etl_airflow_home")
    migrate_db(home)
    return home


def _dags_test(home: Path, run_id: str) -> None:
    env = airflow_env(home, DAGS) | {"AIRFLOW_CONN_ETL_POSTGRES": DSN, "PYTHONPATH": str(DAGS)}
    cmd = [str(venv_bin("airflow")), "dags", "test", "etl_orders_daily", LOGICAL_DATE]
    proc = run_isolated(cmd, env, 300)
    assert_dags_test_ok(proc)
    assert "check_row_count" in proc.stdout + proc.stderr, run_id


def test_etl_round_trip_is_idempotent(airflow_home: Path) -> None:
    with psycopg.connect(DSN, autocommit=True) as conn:  # start from nothing: the DAG creates its tables
        conn.execute("DROP TABLE IF EXISTS etl_orders_daily, etl_orders_source")
    _dags_test(airflow_home, "first run")
    first = _final_table()
    assert first == EXPECTED
    _dags_test(airflow_home, "second run")
    assert _final_table() == first
    with psycopg.connect(DSN) as conn:
        total = conn.execute("SELECT COUNT(*) FROM etl_orders_daily").fetchone()
    assert total == (3,)
