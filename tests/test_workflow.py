"""The user's day: specs in git, hooks on commit, generated DAGs pruned when their spec goes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagfactory.cli import main

from .conftest import SALES_SPEC
from .gitflow import git, git_env, hook_repo, init_repo, pre_commit, run, write_pre_commit_config

SPEC = "# yaml-language-server: $schema=../schemas/pipeline.schema.json\n" + SALES_SPEC
HAND_WRITTEN = '"""A helper the team wrote by hand: dagfactory must never touch it."""\n\nTEAM = "data-eng"\n'


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "specs" / "team").mkdir(parents=True)
    (tmp_path / "specs" / "sales.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "specs" / "team" / "orders.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "generated_dags").mkdir()
    (tmp_path / "generated_dags" / "helpers.py").write_text(HAND_WRITTEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert invoke("compile")[0] == 0
    return tmp_path


# --- pruning --------------------------------------------------------------------------


def test_deleting_a_spec_removes_its_dag_and_reports_it(project: Path) -> None:
    (project / "specs" / "team" / "orders.yaml").unlink()
    code, output = invoke("compile")
    assert code == 0, output
    assert "removed generated_dags/team/orders.py (its spec is gone)" in output
    assert "1 removed" in output
    assert not (project / "generated_dags" / "team" / "orders.py").exists()
    assert (project / "generated_dags" / "sales.py").is_file()
    assert (project / "generated_dags" / "helpers.py").read_text() == HAND_WRITTEN


def test_renaming_a_spec_moves_its_dag(project: Path) -> None:
    (project / "specs" / "sales.yaml").rename(project / "specs" / "revenue.yaml")
    code, output = invoke("compile")
    assert code == 0, output
    assert "1 written" in output
    assert "1 removed" in output
    assert (project / "generated_dags" / "revenue.py").is_file()
    assert not (project / "generated_dags" / "sales.py").exists()


def test_check_reports_would_be_removals_and_writes_nothing(project: Path) -> None:
    (project / "specs" / "sales.yaml").unlink()
    code, output = invoke("compile", "--check")
    assert code == 1
    assert "--- a/generated_dags/sales.py\n+++ /dev/null" in output
    assert "0 to write, 1 to remove" in output
    assert (project / "generated_dags" / "sales.py").is_file()


def test_hand_written_python_survives_when_every_spec_is_gone(project: Path) -> None:
    for spec in (project / "specs").rglob("*.yaml"):
        spec.unlink()
    code, output = invoke("compile")
    assert code == 0, output
    assert "2 removed" in output
    assert sorted(p.name for p in (project / "generated_dags").rglob("*.py")) == ["helpers.py"]
    assert (project / "generated_dags" / "helpers.py").read_text() == HAND_WRITTEN


def test_a_deleted_specs_folder_means_no_specs_but_only_with_an_output_folder(project: Path) -> None:
    shutil.rmtree(project / "specs")  # git removes the folder with its last spec
    code, output = invoke("compile")
    assert code == 0, output
    assert "note: specs does not exist: compiling no specs" in output
    assert "2 removed" in output
    shutil.rmtree(project / "generated_dags")
    code, output = invoke("compile")
    assert code == 2
    assert "the folder 'specs' does not exist" in output


def test_compiling_named_specs_prunes_nothing(project: Path) -> None:
    (project / "specs" / "team" / "orders.yaml").unlink()
    code, output = invoke("compile", "specs/sales.yaml")
    assert code == 0, output
    assert (project / "generated_dags" / "team" / "orders.py").is_file()


def test_exit_non_zero_on_change_only_when_something_changed(project: Path) -> None:
    assert invoke("compile", "--exit-non-zero-on-change")[0] == 0
    (project / "specs" / "sales.yaml").unlink()
    code, output = invoke("compile", "--exit-non-zero-on-change")
    assert code == 1
    assert "generated_dags changed: stage the changes and commit again" in output
    assert invoke("compile", "--exit-non-zero-on-change")[0] == 0


# --- end to end: a real git repository with the hooks installed ---------------------------


def commit(project: Path, message: str) -> tuple[int, str]:
    result = run(
        ["git", "-c", "commit.gpgsign=false", "commit", "-m", message], project, git_env(hook_repo().pre_commit_home)
    )
    return result.returncode, result.stdout + result.stderr


def tracked(project: Path) -> list[str]:
    return git(project, "ls-files").stdout.split()


def test_a_day_with_specs_in_git(tmp_path: Path) -> None:
    repo = hook_repo()
    project = init_repo(tmp_path / "project")
    write_pre_commit_config(project, repo, ("dagfactory-validate", "dagfactory-compile"))
    installed = pre_commit(repo, project, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (project / "specs").mkdir()
    (project / "generated_dags").mkdir()
    (project / "generated_dags" / "helpers.py").write_text(HAND_WRITTEN, encoding="utf-8")
    spec = project / "specs" / "sales.yaml"
    dag = project / "generated_dags" / "sales.py"

    # Add a spec: the compile hook writes its DAG and asks for a re-stage, like a formatter.
    spec.write_text(SPEC, encoding="utf-8")
    git(project, "add", "-A")
    code, output = commit(project, "add sales")
    assert code == 1, output
    assert "generated_dags changed: stage the changes and commit again" in output
    assert dag.read_text().startswith("# Generated by dagfactory")
    git(project, "add", "-A")
    code, output = commit(project, "add sales")
    assert code == 0, output
    assert {".pre-commit-config.yaml", "specs/sales.yaml", "generated_dags/sales.py"} <= set(tracked(project))

    # A typo: the commit is refused with the line, and nothing lands.
    head = git(project, "rev-parse", "HEAD").stdout
    spec.write_text(SPEC.replace("schedule:", "schedul:"), encoding="utf-8")
    git(project, "add", "-A")
    code, output = commit(project, "typo")
    assert code == 1, output
    assert "specs/sales.yaml:6:1: error[DF101]: the spec: unknown key 'schedul'" in output
    assert git(project, "rev-parse", "HEAD").stdout == head

    # Delete the spec: compile removes its DAG; once re-staged, the commit lands without it.
    git(project, "rm", "-q", "-f", "specs/sales.yaml")
    code, output = commit(project, "remove sales")
    assert code == 1, output
    assert "removed generated_dags/sales.py (its spec is gone)" in output
    assert not dag.exists()
    git(project, "add", "-A")
    code, output = commit(project, "remove sales")
    assert code == 0, output
    assert "generated_dags/sales.py" not in tracked(project)

    # The hand-written file survived all of it, byte for byte.
    assert (project / "generated_dags" / "helpers.py").read_text() == HAND_WRITTEN
    assert "generated_dags/helpers.py" in tracked(project)
