"""The hooks in .pre-commit-hooks.yaml, run by the real ``pre-commit`` tool.

``pre-commit try-repo`` builds the hook's virtualenv in a fresh temporary store
on every call (~45 s), so one test uses it as the user would to try the hooks,
and the others run ``pre-commit run`` with a config naming the hook repository,
which reuses the shared PRE_COMMIT_HOME.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import SALES_SPEC
from .gitflow import PROJECT_ROOT, HookRepo, git, hook_repo, init_repo, pre_commit, write_pre_commit_config

GOOD_SPEC = SALES_SPEC
# `bash_comand` is misspelt on line 10, column 5.
BAD_SPEC = GOOD_SPEC.replace("bash_command: echo extract", "bash_comand: echo extract")


@pytest.fixture(scope="module")
def repo() -> HookRepo:
    return hook_repo()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "project")
    (root / "specs").mkdir()
    write_pre_commit_config(root, hook_repo(), ("dagfactory-validate", "dagfactory-compile"))
    return root


def test_manifest_declares_both_hooks() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"dagfactory-validate", "dagfactory-compile"}
    assert hooks["dagfactory-validate"]["entry"] == "dagfactory validate --"
    assert hooks["dagfactory-validate"]["pass_filenames"] is True
    assert hooks["dagfactory-compile"]["entry"] == "dagfactory compile --exit-non-zero-on-change"
    assert hooks["dagfactory-compile"]["pass_filenames"] is False
    assert all(hook["language"] == "python" for hook in hooks.values())


def test_try_repo_fails_on_a_bad_spec_with_its_line(repo: HookRepo, project: Path) -> None:
    (project / "specs" / "sales.yaml").write_text(BAD_SPEC, encoding="utf-8")
    git(project, "add", "-A")
    result = pre_commit(repo, project, "try-repo", str(repo.path), "dagfactory-validate", "--files", "specs/sales.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "specs/sales.yaml:10:5: error[DF101]" in result.stdout
    assert "bash_comand" in result.stdout


def test_validate_hook_takes_option_like_file_names_as_files(repo: HookRepo, tmp_path: Path) -> None:
    """With `files:` widened to every YAML file, specs named `--help.yaml` and `-rf.yaml` at the
    root reach `dagfactory validate` as files (after `--`), never as its options."""
    root = init_repo(tmp_path / "project")
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo.path.as_posix()}\n    rev: {repo.rev}\n    hooks:\n"
        "      - id: dagfactory-validate\n        files: '^-.*\\.yaml$'\n",
        encoding="utf-8",
    )
    (root / "--help.yaml").write_text(BAD_SPEC, encoding="utf-8")
    (root / "-rf.yaml").write_text(GOOD_SPEC.replace("bash_command", "bash_comand"), encoding="utf-8")
    git(root, "add", "-A")
    result = pre_commit(repo, root, "run", "dagfactory-validate", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "--help.yaml:10:5: error[DF101]" in result.stdout
    assert "-rf.yaml:10:5: error[DF101]" in result.stdout


def test_validate_hook_fails_on_a_bad_spec_with_its_line(repo: HookRepo, project: Path) -> None:
    (project / "specs" / "sales.yaml").write_text(BAD_SPEC, encoding="utf-8")
    git(project, "add", "-A")
    result = pre_commit(repo, project, "run", "dagfactory-validate", "--files", "specs/sales.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "specs/sales.yaml:10:5: error[DF101]: task 'extract': unknown argument 'bash_comand'" in result.stdout


def test_validate_hook_passes_on_a_good_spec(repo: HookRepo, project: Path) -> None:
    (project / "specs" / "sales.yaml").write_text(GOOD_SPEC, encoding="utf-8")
    git(project, "add", "-A")
    result = pre_commit(repo, project, "run", "dagfactory-validate", "--files", "specs/sales.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_validate_hook_ignores_files_outside_specs(repo: HookRepo, project: Path) -> None:
    (project / "config.yaml").write_text("not: [a, spec\n", encoding="utf-8")
    git(project, "add", "-A")
    result = pre_commit(repo, project, "run", "dagfactory-validate", "--files", "config.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no files to check" in result.stdout


def test_compile_hook_fails_when_it_wrote_then_passes(repo: HookRepo, project: Path) -> None:
    (project / "specs" / "sales.yaml").write_text(GOOD_SPEC, encoding="utf-8")
    git(project, "add", "-A")
    args = ("run", "dagfactory-compile", "--all-files")
    first = pre_commit(repo, project, *args)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "1 written" in first.stdout
    assert (project / "generated_dags" / "sales.py").read_text().startswith("# Generated by dagfactory")
    git(project, "add", "-A")
    second = pre_commit(repo, project, *args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "dagfactory compile" in second.stdout
    assert "Passed" in second.stdout


def test_compile_hook_fails_without_writing_on_a_bad_spec(repo: HookRepo, project: Path) -> None:
    (project / "specs" / "sales.yaml").write_text(BAD_SPEC, encoding="utf-8")
    git(project, "add", "-A")
    result = pre_commit(repo, project, "run", "dagfactory-compile", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "specs/sales.yaml:10:5: error[DF101]" in result.stdout
    assert not (project / "generated_dags").exists()
