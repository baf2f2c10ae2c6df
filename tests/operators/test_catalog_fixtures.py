"""Every catalog operator: a valid fixture that loads in a real DagBag, and an invalid one
whose first line says the exact diagnostic it must produce (``# expect: CODE line:col``)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from dagfactory.check import check_project
from dagfactory.emit import compile_specs
from dagfactory.load.discover import discover
from dagfactory.operators import CATALOG
from tests.airflow.harness import DUMP_SCRIPT, airflow_env, run_isolated, scratch_home

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "catalog"
VALID, INVALID = ROOT / "valid", ROOT / "invalid"
EXPECT = re.compile(r"^# expect: (DF\d{3}) (\d+):(\d+)$")


def test_every_operator_has_a_valid_and_an_invalid_fixture() -> None:
    expected = {f"op_{name}.yaml" for name in CATALOG}
    assert {p.name for p in VALID.glob("*.yaml")} == expected
    assert {p.name for p in INVALID.glob("*.yaml")} == expected


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_invalid_fixture_reports_the_expected_diagnostic(name: str) -> None:
    path = INVALID / f"op_{name}.yaml"
    match = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name} lacks an '# expect: CODE line:col' first line"
    [result] = check_project(discover([path], INVALID, ROOT)).results
    found = [(d.code, d.line, d.column) for d in result.diagnostics]
    assert found == [(match[1], int(match[2]), int(match[3]))]


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_valid_fixture_has_no_diagnostics(name: str) -> None:
    [result] = check_project(discover([VALID / f"op_{name}.yaml"], VALID, ROOT)).results
    assert result.diagnostics == []


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """All valid fixtures compiled into one folder and loaded by one real DagBag."""
    out = tmp_path_factory.mktemp("catalog_dags")
    results = compile_specs(discover([VALID], VALID, ROOT))
    assert [d for r in results for d in r.diagnostics] == []
    for result in results:
        (out / result.spec.output_relative).write_text(result.text or "", encoding="utf-8")
    shutil.copy(VALID / "catalog_callables.py", out)
    # Airflow's bundle loader puts the DAG folder on sys.path; a plain DagBag does not.
    env = airflow_env(scratch_home(), out) | {"PYTHONPATH": str(out)}
    proc = run_isolated([sys.executable, str(DUMP_SCRIPT), str(out)], env, 180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.airflow
def test_valid_fixtures_load_without_errors_or_warnings(dagbag: dict[str, Any]) -> None:
    assert dagbag["import_errors"] == {}
    assert dagbag["serialization_errors"] == {}
    ours = [w for w in dagbag["warnings"] if w["filename"].startswith(dagbag["dag_folder"])]
    assert ours == []
    assert sorted(dagbag["dags"]) == sorted(f"op_{name}" for name in CATALOG)


@pytest.mark.airflow
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_each_fixture_builds_the_catalog_class(dagbag: dict[str, Any], name: str) -> None:
    task = dagbag["dags"][f"op_{name}"]["tasks"]["subject"]
    assert task["operator_class"] == CATALOG[name].class_path


@pytest.mark.airflow
def test_sql_file_is_embedded_at_compile_time(dagbag: dict[str, Any]) -> None:
    task = dagbag["dags"]["op_sql_check"]["tasks"]["subject"]
    assert task["templated"]["sql"] == (VALID / "queries" / "count_orders.sql").read_text(encoding="utf-8")


@pytest.mark.airflow
def test_sensor_durations_become_seconds(dagbag: dict[str, Any]) -> None:
    tasks = {name: dagbag["dags"][f"op_{name}"]["tasks"]["subject"] for name in ("sql_sensor", "time_delta_sensor")}
    assert tasks["time_delta_sensor"]["templated"]["delta"] == 30 * 60
    assert tasks["sql_sensor"]["templated"]["sql"].startswith("SELECT 1 FROM loads")


def test_old_argument_name_is_emitted_under_the_current_one() -> None:
    [result] = compile_specs(discover([VALID / "op_sql_to_s3.yaml"], VALID, ROOT))
    assert "df_kwargs={" in (result.text or "")
    assert "pd_kwargs" not in (result.text or "")
