"""``dagfactory new``: the starter spec validates and compiles as written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dagfactory.check.schema import build_schema, schema_json
from dagfactory.cli import main
from dagfactory.emit.starter import operators


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "pipeline.schema.json").write_text(schema_json(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def schema_ref(spec: Path) -> Path:
    first = spec.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    return (spec.parent / first.removeprefix(prefix)).resolve()


def test_sql_is_offered_because_the_catalog_has_it() -> None:
    assert operators() == ["bash", "python", "sql"]


@pytest.mark.parametrize("operator", ["bash", "python", "sql"])
def test_starter_validates_and_compiles_as_is(project: Path, operator: str) -> None:
    code, output = invoke("new", "daily_sales", "--operator", operator)
    assert code == 0, output
    spec = project / "specs" / "daily_sales.yaml"
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    assert set(build_schema()["required"]) <= set(data)
    assert [task["operator"] for task in data["tasks"].values()] == [operator]
    assert schema_ref(spec) == (project / "schemas" / "pipeline.schema.json").resolve()
    assert invoke("validate")[0] == 0
    code, output = invoke("compile")
    assert code == 0, output
    assert 'dag_id="daily_sales"' in (project / "generated_dags" / "daily_sales.py").read_text(encoding="utf-8")


def test_a_nested_name_gets_a_schema_path_that_resolves(project: Path) -> None:
    assert invoke("new", "marketing/emea/daily_sales.yaml")[0] == 0
    spec = project / "specs" / "marketing" / "emea" / "daily_sales.yaml"
    assert schema_ref(spec) == (project / "schemas" / "pipeline.schema.json").resolve()
    assert invoke("compile")[0] == 0
    assert (project / "generated_dags" / "marketing" / "emea" / "daily_sales.py").is_file()


def test_the_starter_meets_the_project_policy(project: Path) -> None:
    (project / "dagfactory.toml").write_text(
        'specs = "pipelines"\nrequire_lineage = true\nrequire_business_owner_email = true\n', encoding="utf-8"
    )
    assert invoke("new", "orders")[0] == 0
    spec = project / "pipelines" / "orders.yaml"
    assert "lineage:" in spec.read_text(encoding="utf-8")
    assert schema_ref(spec) == (project / "schemas" / "pipeline.schema.json").resolve()
    code, output = invoke("validate")
    assert code == 0, output


def test_never_overwrites_an_existing_spec(project: Path) -> None:
    (project / "specs").mkdir()
    existing = project / "specs" / "daily_sales.yaml"
    existing.write_text("# mine\n", encoding="utf-8")
    code, output = invoke("new", "daily_sales")
    assert code == 1
    assert "specs/daily_sales.yaml already exists; refusing to overwrite it" in output
    assert existing.read_text(encoding="utf-8") == "# mine\n"


@pytest.mark.parametrize("name", ["../outside", "_defaults", "bad name", "a/../b", "/abs/path"])
def test_refuses_names_that_are_not_specs(project: Path, name: str) -> None:
    code, output = invoke("new", name)
    assert code == 2  # bad usage: NAME itself is wrong
    assert "dagfactory new: error:" in output
    assert not list(project.rglob("*.yaml"))
