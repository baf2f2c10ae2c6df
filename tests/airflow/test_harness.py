"""Tests of the real-Airflow harness itself, on small hand-written DAG folders."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .harness import airflow_env, assert_dags_test_ok, dagrun_state, run_dags_test

pytestmark = pytest.mark.airflow

Loader = Callable[[str | Path], dict[str, Any]]

SAMPLE_DAG = """\
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, Param


def greet(name):
    print(f"greeting {name}")


with DAG(
    dag_id="harness_sample",
    description="harness sample",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 3, 25, tz="Asia/Seoul"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    tags=["b", "a"],
    default_args={"owner": "me", "retries": 1, "retry_delay": timedelta(minutes=5)},
    user_defined_macros={"pw": 1234},
    params={"my_param": Param("x", type="string", description="a param")},
    doc_md="# sample\\n",
) as dag:
    t1 = BashOperator(
        task_id="t1",
        bash_command='echo "marker:{{ ds }}:{{ params.my_param }}:{{ pw }}:{{ macros.ds_add(ds, 7) }}"',
        outlets=[Asset(uri="s3://bucket/key", name="out")],
        doc_md="runs bash",
    )
    t2 = EmptyOperator(task_id="t2")
    t3 = PythonOperator(task_id="t3", python_callable=greet, op_kwargs={"name": "{{ ds }}"})
    t1 >> t2 >> t3

with DAG(
    dag_id="harness_failing",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    default_args={"retries": 0},
) as failing:
    BashOperator(task_id="fail", bash_command="echo about-to-fail; exit 3")
"""

VARIETY_DAGS = {
    "broken.py": "from airflow.sdk import DAG\nraise ValueError('boom from broken file')\n",
    "warns.py": textwrap.dedent(
        """\
        import warnings
        import pendulum
        from airflow.sdk import DAG, Asset

        print("a DAG file printing to stdout must not corrupt the JSON")
        warnings.warn("spec feature x is deprecated", DeprecationWarning)
        start = pendulum.datetime(2024, 1, 1, tz="UTC")
        with DAG("by_delta", schedule=pendulum.duration(hours=2), start_date=start):
            pass
        with DAG("by_none", schedule=None, start_date=start):
            pass
        with DAG("by_cron", schedule="5 4 * * *", start_date=start):
            pass
        with DAG("by_assets", schedule=[Asset("s3://a/b"), Asset(name="n", uri="s3://c/d")]):
            pass
        """
    ),
}


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample_dags")
    (folder / "sample.py").write_text(SAMPLE_DAG)
    return folder


@pytest.fixture(scope="module")
def sample_dump(dagbag_loader: Loader, sample_folder: Path) -> dict[str, Any]:
    return dagbag_loader(sample_folder)


@pytest.fixture(scope="module")
def variety_dump(dagbag_loader: Loader, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("variety_dags")
    for name, text in VARIETY_DAGS.items():
        (folder / name).write_text(text)
    return dagbag_loader(folder)


def test_sample_parses_cleanly(sample_dump: dict[str, Any], sample_folder: Path) -> None:
    assert sample_dump["import_errors"] == {}
    assert sample_dump["serialization_errors"] == {}
    assert sample_dump["warnings"] == []
    assert sorted(sample_dump["dags"]) == ["harness_failing", "harness_sample"]
    assert sample_dump["dags"]["harness_sample"]["fileloc"] == str(sample_folder / "sample.py")


def test_dag_level_fields(sample_dump: dict[str, Any]) -> None:
    dag = sample_dump["dags"]["harness_sample"]
    expected = {
        "description": "harness sample",
        "schedule": "@daily",
        "schedule_kind": "preset",
        "timetable_expression": "0 0 * * *",
        "timezone": "Asia/Seoul",
        "start_date": "2024-03-24T15:00:00+00:00",  # Airflow normalises to UTC
        "start_date_local": "2024-03-25T00:00:00+09:00",
        "end_date": None,
        "catchup": False,
        "max_active_runs": 1,
        "dagrun_timeout_seconds": 3600,
        "tags": ["a", "b"],
        "owner": "me",
        "default_args": {"owner": "me", "retries": 1, "retry_delay": 300},
        "params": {"my_param": "x"},
        "user_defined_macros": {"pw": 1234},
        "doc_md": "# sample\n",
    }
    assert {k: dag[k] for k in expected} == expected
    assert dag["timetable_class"].endswith(".CronTriggerTimetable")
    detail = dag["params_detail"]["my_param"]
    assert detail["schema"] == {"type": "string"}
    assert detail["description"] == "a param"


def test_task_level_fields(sample_dump: dict[str, Any]) -> None:
    tasks = sample_dump["dags"]["harness_sample"]["tasks"]
    t1, t2, t3 = tasks["t1"], tasks["t2"], tasks["t3"]
    assert t1["operator_class"] == "airflow.providers.standard.operators.bash.BashOperator"
    assert t2["operator_class"] == "airflow.providers.standard.operators.empty.EmptyOperator"
    assert (t1["downstream"], t2["upstream"], t2["downstream"]) == (["t2"], ["t1"], ["t3"])
    assert (t1["owner"], t1["retries"], t1["retry_delay_seconds"]) == ("me", 1, 300)
    assert (t1["trigger_rule"], t1["pool"], t1["depends_on_past"]) == ("all_success", "default_pool", False)
    assert t1["outlets"] == [{"uri": "s3://bucket/key", "name": "out"}]
    assert t1["inlets"] == []
    assert t1["doc_md"] == "runs bash"
    assert t1["params"] == {"my_param": "x"}
    assert t1["templated"]["bash_command"].startswith('echo "marker:{{ ds }}')
    assert set(t1["templated"]) == {"bash_command", "env", "cwd"}
    assert t3["python_callable"].endswith(":greet")
    assert t3["templated"]["op_kwargs"] == {"name": "{{ ds }}"}
    assert "python_callable" not in t1


def test_broken_file_is_an_import_error(variety_dump: dict[str, Any]) -> None:
    errors = variety_dump["import_errors"]
    assert [Path(p).name for p in errors] == ["broken.py"]
    assert "boom from broken file" in next(iter(errors.values()))
    # The good file in the same folder still loads: one bad file must not hide the others.
    assert sorted(variety_dump["dags"]) == ["by_assets", "by_cron", "by_delta", "by_none"]


def test_warnings_keep_their_category(variety_dump: dict[str, Any]) -> None:
    ours = [w for w in variety_dump["warnings"] if "spec feature x" in w["message"]]
    assert len(ours) == 1
    assert ours[0]["category"] == "DeprecationWarning"
    assert Path(ours[0]["filename"]).name == "warns.py"
    assert ours[0]["lineno"] == 6


@pytest.mark.parametrize(
    ("dag_id", "schedule", "kind"),
    [
        ("by_delta", 7200, "timedelta"),
        ("by_none", None, "none"),
        ("by_cron", "5 4 * * *", "cron"),
        ("by_assets", ["s3://a/b", "s3://c/d"], "assets"),
    ],
)
def test_schedule_forms(variety_dump: dict[str, Any], dag_id: str, schedule: Any, kind: str) -> None:
    dag = variety_dump["dags"][dag_id]
    assert (dag["schedule"], dag["schedule_kind"]) == (schedule, kind)


def test_env_ignores_developer_airflow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(Path.home() / "airflow"))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "True")
    monkeypatch.setenv("AIRFLOW_CONN_SECRET", "postgres://x")
    env = airflow_env(tmp_path, tmp_path / "dags")
    assert env["AIRFLOW_HOME"] == str(tmp_path.resolve())
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str((tmp_path / "dags").resolve())
    assert "AIRFLOW_CONN_SECRET" not in env
    assert all(str(tmp_path.resolve()) in v for k, v in env.items() if k.endswith(("_HOME", "_CONFIG")))


@pytest.mark.slow
def test_dags_test_runs_sample_to_success(airflow_home: Path, sample_folder: Path) -> None:
    proc = run_dags_test(airflow_home, sample_folder, "harness_sample", "2024-04-01")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    # Rendered template: ds, a Param, a user-defined macro and a built-in macro.
    assert "marker:2024-04-01:x:1234:2024-04-08" in proc.stdout
    assert "greeting 2024-04-01" in proc.stdout
    assert (airflow_home / "airflow.db").exists()  # the run used our home, not ~/airflow


@pytest.mark.slow
def test_dags_test_failure_exits_nonzero(airflow_home: Path, sample_folder: Path) -> None:
    proc = run_dags_test(airflow_home, sample_folder, "harness_failing", "2024-04-01")
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "about-to-fail" in proc.stdout
    assert dagrun_state(proc.stdout) == "failed"
