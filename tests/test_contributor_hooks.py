"""The repository's own .pre-commit-config.yaml (ruff, ruff format, mypy --strict, and
dagfactory's validate hook on specs/), run by the real ``pre-commit`` on a committed copy of
the checkout: clean as shipped, and each hook fails on the mistake it is there to catch."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import SALES_SPEC

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib
from tests.gitflow import PROJECT_ROOT, git, hook_repo, init_repo, pre_commit

# The hook runs are slow: they build pre-commit's environments from PyPI (once per run).

COPIED = ("dagfactory", "specs", "pyproject.toml", "README.md", "LICENSE", ".pre-commit-config.yaml")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_repo(tmp_path_factory.mktemp("contributor") / "dagfactory")
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, root / name)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a contributor's checkout")
    return root


def run_hooks(root: Path, *args: str) -> tuple[int, str]:
    result = pre_commit(hook_repo(), root, "run", *args)
    return result.returncode, result.stdout + result.stderr


def test_the_hooks_pin_the_linters_the_test_extra_pins() -> None:
    """A contributor's commit and CI (`scripts/test`) must judge with the same ruff and mypy."""
    extra = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_pins = dict(_pins(extra["project"]["optional-dependencies"]["test"]))
    config = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook_deps = [
        dep for repo in config["repos"] for hook in repo["hooks"] for dep in hook.get("additional_dependencies", [])
    ]
    hook_pins = dict(_pins(hook_deps))
    assert {"ruff", "mypy"} <= hook_pins.keys()
    for name in ("ruff", "mypy"):
        assert hook_pins[name] == test_pins[name], name


def test_the_validate_hook_installs_what_validate_imports() -> None:
    """The hook runs this checkout's code with its own dependencies: pyproject's runtime ones
    (jinja2 aside: validate never imports it), with the same markers (tomli on Python 3.10)."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    config = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = next(h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "dagfactory-validate")
    wanted = {dep for dep in project["dependencies"] if not dep.startswith("jinja2")}
    assert set(hook["additional_dependencies"]) == wanted


def _pins(requirements: list[str]) -> list[tuple[str, str]]:
    return [(m[1].lower(), m[2]) for r in requirements if (m := re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", r))]


@pytest.mark.slow
def test_the_shipped_checkout_passes_every_hook(checkout: Path) -> None:
    code, output = run_hooks(checkout, "--all-files")
    assert code == 0, output
    verdicts = {line.split(".")[0]: line.rsplit(".", 1)[-1] for line in output.splitlines() if "...." in line}
    assert verdicts == {
        "ruff check": "Passed",
        "ruff format --check": "Passed",
        "mypy --strict (dagfactory/)": "Passed",
        "dagfactory validate (this repository's specs)": "Passed",
    }, output


@pytest.mark.slow
def test_each_hook_catches_its_mistake(checkout: Path) -> None:
    bad_spec = SALES_SPEC.replace("bash_command: echo extract", "bash_comand: echo extract")
    (checkout / "specs" / "bad.yaml").write_text(bad_spec, encoding="utf-8")
    (checkout / "dagfactory" / "bad_module.py").write_text("import os\nnumber: int = 'one'\n", encoding="utf-8")
    git(checkout, "add", "-A")
    try:
        code, output = run_hooks(checkout, "dagfactory-validate", "--files", "specs/bad.yaml")
        assert code == 1, output
        assert "specs/bad.yaml:10:5: error[DF101]" in output
        code, output = run_hooks(checkout, "ruff", "--files", "dagfactory/bad_module.py")
        assert code == 1, output
        assert "F401" in output
        code, output = run_hooks(checkout, "mypy", "--files", "dagfactory/bad_module.py")
        assert code == 1, output
        assert "bad_module.py:2: error: Incompatible types in assignment" in output
    finally:
        git(checkout, "rm", "-q", "-f", "specs/bad.yaml", "dagfactory/bad_module.py")
