"""`dagfactory requirements` and `dagfactory check`, run as a user runs them (subprocesses),
and the shipped MySQL -> S3 pipeline loading in a real DagBag with the amazon provider."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dagfactory.emit.requirements import provider_of_module
from tests.airflow.harness import DUMP_SCRIPT, airflow_env, run_isolated, scratch_home

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "catalog"
DAGFACTORY = Path(sys.executable).with_name("dagfactory")


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = airflow_env(home)  # never the developer's ~/airflow
    return subprocess.run(
        [str(DAGFACTORY), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("airflow.providers.amazon.aws.operators.s3", "apache-airflow-providers-amazon"),
        ("airflow.providers.common.sql.operators.sql", "apache-airflow-providers-common-sql"),
        ("airflow.providers.microsoft.azure.operators.adx", "apache-airflow-providers-microsoft-azure"),
        ("airflow.providers.cncf.kubernetes.operators.pod", "apache-airflow-providers-cncf-kubernetes"),
        ("airflow.providers.google.cloud.operators.bigquery", "apache-airflow-providers-google"),
        ("mycompany.operators.Special", None),
    ],
)
def test_class_path_maps_to_its_provider_distribution(module: str, distribution: str | None) -> None:
    assert provider_of_module(module) == distribution


def test_requirements_lists_the_shipped_specs_providers(tmp_path: Path) -> None:
    proc = _cli("requirements", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "apache-airflow-providers-amazon",
        "apache-airflow-providers-common-sql",
        "apache-airflow-providers-standard",
    ]


def test_requirements_of_every_catalog_fixture(tmp_path: Path) -> None:
    valid = str(FIXTURES / "valid")
    proc = _cli("requirements", valid, "--specs-dir", valid, home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == sorted(
        {
            "apache-airflow-providers-amazon",
            "apache-airflow-providers-common-sql",
            "apache-airflow-providers-http",
            "apache-airflow-providers-smtp",
            "apache-airflow-providers-standard",
        }
    )


def test_requirements_refuses_a_broken_spec(tmp_path: Path) -> None:
    proc = _cli("requirements", str(FIXTURES / "invalid" / "op_bash.yaml"), home=tmp_path)
    assert proc.returncode == 1
    assert "op_bash.yaml:10:5: error[DF101]" in proc.stdout


@pytest.mark.airflow
def test_check_passes_the_shipped_specs(tmp_path: Path) -> None:
    proc = _cli("check", home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 errors" in proc.stderr


@pytest.mark.airflow
def test_check_reports_rejected_and_missing_arguments_at_the_spec_line(tmp_path: Path) -> None:
    spec = FIXTURES / "check" / "class_path_typo.yaml"
    proc = _cli("check", str(spec), "--format", "json", home=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = [(d["code"], d["line"], d["column"], d["message"]) for d in json.loads(proc.stdout)]
    assert found == [
        ("DF501", 9, 3, "task 'greet': BashOperator needs the argument 'bash_command'"),
        ("DF501", 11, 5, "task 'greet': BashOperator does not accept the argument 'bash_comand'"),
        (
            "DF502",
            13,
            15,
            "task 'missing': XOperator cannot be imported: "
            "ModuleNotFoundError: No module named 'airflow.providers.not_a_provider'",
        ),
    ]
    assert all(d["path"] == "tests/fixtures/catalog/check/class_path_typo.yaml" for d in json.loads(proc.stdout))


def test_check_without_airflow_says_so_and_exits_2(tmp_path: Path) -> None:
    # Python's own import blocking: sys.modules["airflow"] = None makes `airflow` unimportable.
    code = (
        "import sys; sys.modules['airflow'] = None; sys.argv = ['dagfactory', 'check']; "
        "from dagfactory.cli import run; run()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=airflow_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "dagfactory check needs Apache Airflow" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def generated_dagbag() -> dict[str, Any]:
    dags = ROOT / "generated_dags"
    env = airflow_env(scratch_home(), dags) | {"PYTHONPATH": str(dags)}
    proc = run_isolated([sys.executable, str(DUMP_SCRIPT), str(dags)], env, 180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.airflow
def test_mysql_to_s3_employee_loads_with_the_amazon_provider(generated_dagbag: dict[str, Any]) -> None:
    assert generated_dagbag["import_errors"] == {}
    dag = generated_dagbag["dags"]["mysql_to_s3_employee"]
    assert (dag["schedule_kind"], dag["schedule"], dag["catchup"]) == ("timedelta", 300, False)
    assert dag["default_args"] == {"owner": "woori-fisa", "retries": 1, "retry_delay": 300}
    task = dag["tasks"]["mysql_to_s3_employee_task"]
    assert task["operator_class"] == "airflow.providers.amazon.aws.transfers.sql_to_s3.SqlToS3Operator"
    assert task["templated"]["query"] == "SELECT * FROM employees"
    assert task["templated"]["s3_key"] == "yeonji/employee_test.csv"


@pytest.mark.airflow
def test_check_finds_grouped_tasks_under_their_prefixed_ids(tmp_path: Path) -> None:
    spec = FIXTURES / "check" / "grouped_typo.yaml"
    proc = _cli("check", str(spec), "--format", "json", home=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = [(d["code"], d["line"], d["column"], d["message"]) for d in json.loads(proc.stdout)]
    # `fine` loads as extract.fine: no "made no Airflow task" report for it
    assert found == [
        ("DF501", 10, 3, "task 'greet': BashOperator needs the argument 'bash_command'"),
        ("DF501", 13, 5, "task 'greet': BashOperator does not accept the argument 'bash_comand'"),
    ]


@pytest.mark.airflow
def test_check_passes_taskflow_tasks_and_refuses_a_reference_in_an_untemplated_argument(tmp_path: Path) -> None:
    """TaskFlow tasks have no class to check (Airflow checked the decorator's arguments while
    parsing); a class-path operator's reference must stand in one of its template_fields."""
    spec = FIXTURES / "check" / "taskflow_references.yaml"
    proc = _cli("check", str(spec), "--format", "json", home=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = [(d["code"], d["line"], d["column"], d["message"], d["hint"]) for d in json.loads(proc.stdout)]
    assert found == [
        (
            "DF309",
            23,
            5,
            "task 'untemplated': BashOperator does not template 'output_encoding', so another task's result "
            "there would reach it as an unresolved XComArg",
            "pass the reference in a templated field of BashOperator (bash_command, env, cwd)",
        )
    ]


@pytest.mark.airflow
def test_check_locates_mapped_arguments_in_expand_and_expand_kwargs(tmp_path: Path) -> None:
    """A class-path operator's mapped arguments are checked against its class like plain ones and
    reported where the spec maps them (under `expand:`, in an `expand_kwargs` item); mapping over
    another task's argument sets ({xcom: ...}) is not reported as missing arguments."""
    spec = FIXTURES / "check" / "mapped_typo.yaml"
    proc = _cli("check", str(spec), "--format", "json", home=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = [(d["code"], d["line"], d["column"], d["message"], d["hint"]) for d in json.loads(proc.stdout)]
    assert found == [
        (
            "DF501",
            8,
            3,
            "task 'greet': BashOperator needs the argument 'bash_command'",
            "add `bash_command:` to the task",
        ),
        (
            "DF501",
            11,
            7,
            "task 'greet': BashOperator does not accept the argument 'bash_comand'",
            "did you mean 'bash_command'?",
        ),
        ("DF501", 16, 32, "task 'sets': BashOperator does not accept the argument 'cwdd'", "did you mean 'cwd'?"),
    ]
