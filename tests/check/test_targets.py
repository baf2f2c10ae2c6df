"""Target profiles: the same spec compiles for Airflow 3 (default) or 2; features a target lacks are errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagfactory.check.spec import check_document
from dagfactory.cli import main
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import load_text
from dagfactory.operators import CATALOG
from dagfactory.targets import AIRFLOW_3, TARGETS, target

REPO = Path(__file__).resolve().parents[2]
GOLDEN_2 = REPO / "tests" / "golden" / "airflow2"
BASE = "description: x\nowner: me\nbusiness_owner: {name: A}\nschedule: null\nstart_date: 2024-01-01\n"


def diagnostics(text: str, major: str) -> list[Diagnostic]:
    doc, problems = load_text(text, "s.yaml")
    assert doc is not None, problems
    return problems + check_document(doc, target(major))


def found(text: str, major: str) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.line, d.column, d.message) for d in diagnostics(text, major)]


def test_golden_airflow2_output_is_current() -> None:
    """tests/golden/airflow2/ is specs/ compiled for target 2; regenerate with the command in the message."""
    cmd = [sys.executable, "-m", "dagfactory", "compile", "--airflow", "2", "--no-cache", "--check"]
    proc = subprocess.run([*cmd, "--out", str(GOLDEN_2)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, (
        proc.stdout[-3000:] + proc.stderr[-2000:] + "\nrun: dagfactory compile --airflow 2 --out tests/golden/airflow2"
    )
    assert len(list(GOLDEN_2.rglob("*.py"))) >= 6


def test_target_2_imports_and_no_airflow_3_names() -> None:
    text = (GOLDEN_2 / "hello_world.py").read_text()
    assert "from airflow import DAG\n" in text
    assert "from airflow.operators.bash import BashOperator\n" in text
    assert "airflow.sdk" not in text
    assert "providers.standard" not in text
    assert "schedule_interval" not in text
    assert 'schedule="@daily"' in text
    assert "pendulum.datetime(2022, 8, 22, 2, tz=" in text


def test_same_doc_md_on_both_targets() -> None:
    for path in GOLDEN_2.rglob("*.py"):
        three = (REPO / "generated_dags" / path.relative_to(GOLDEN_2)).read_text()
        two = path.read_text()
        assert (
            two[two.index('DOC_MD = """') : two.index('"""\n\n')]
            == three[three.index('DOC_MD = """') : three.index('"""\n\n')]
        )


def test_every_profile_maps_only_catalog_operators() -> None:
    assert set(TARGETS) == {"2", "3"}
    assert target("3") is AIRFLOW_3
    for profile in TARGETS.values():
        assert set(profile.operator_paths) <= set(CATALOG)
        assert set(profile.missing_args) <= set(CATALOG)
        for name, args in profile.missing_args.items():
            assert args <= {a.name for a in CATALOG[name].args}  # a typo would silently check nothing


SLA = BASE + "tasks:\n  a:\n    operator: bash\n    bash_command: x\n    sla: 1h\n"


def test_sla_only_on_airflow_2() -> None:
    assert found(SLA, "2") == []
    assert found(SLA, "3") == [("DF101", 10, 5, "`sla` was removed in Airflow 3")]
    bad = found(SLA.replace("sla: 1h", "sla: soon"), "2")
    assert [(code, line) for code, line, _, _ in bad] == [("DF203", 10)]


def test_arguments_missing_on_airflow_2_are_errors_at_their_line() -> None:
    spec = BASE + "tasks:\n  t:\n    operator: trigger_dagrun\n    trigger_dag_id: other\n    note: hi\n"
    assert found(spec, "3") == []
    assert found(spec, "2") == [
        ("DF101", 10, 5, "task 't': operator 'trigger_dagrun' has no argument 'note' on Airflow 2")
    ]


def test_trigger_rule_missing_on_airflow_2() -> None:
    spec = BASE + "tasks:\n  t:\n    operator: empty\n    trigger_rule: all_done_min_one_success\n"
    assert found(spec, "3") == []
    assert found(spec, "2") == [("DF104", 9, 19, "trigger_rule 'all_done_min_one_success' does not exist on Airflow 2")]
    in_defaults = BASE + "default_args: {trigger_rule: all_done_min_one_success}\ntasks:\n  t: {operator: empty}\n"
    assert [d[:2] for d in found(in_defaults, "2")] == [("DF104", 6)]


def test_email_arguments_warn_only_on_airflow_3() -> None:
    spec = BASE + "tasks:\n  t:\n    operator: empty\n    email: a@example.com\n"
    assert [d[0] for d in found(spec, "3")] == ["DF207"]
    assert found(spec, "2") == []


def test_requirements_per_target(tmp_path: Path) -> None:
    three = CliRunner().invoke(main, ["requirements", "--specs-dir", "specs", "specs/hello_world.yaml"])
    two = CliRunner().invoke(main, ["requirements", "--airflow", "2", "--specs-dir", "specs", "specs/hello_world.yaml"])
    assert three.exit_code == 0
    assert three.stdout == "apache-airflow-providers-standard\n"
    assert two.exit_code == 0
    assert two.stdout == ""  # bash and python are in apache-airflow 2 itself
    sql = CliRunner().invoke(main, ["requirements", "--airflow", "2", "specs/etl_orders_daily.yaml"])
    assert sql.stdout == "apache-airflow-providers-common-sql\n"


@pytest.mark.parametrize("command", ["validate", "compile"])
def test_cli_option_overrides_the_config(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "s.yaml").write_text(SLA)
    (tmp_path / "dagfactory.toml").write_text('airflow = "2"\n')
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, [command]).exit_code == 0
    refused = CliRunner().invoke(main, [command, "--airflow", "3"])
    assert refused.exit_code == 1
    assert "s.yaml:10:5: error[DF101]: `sla` was removed in Airflow 3" in refused.output
    if command == "compile":
        assert "sla=timedelta(hours=1)" in (tmp_path / "generated_dags" / "s.py").read_text()
