"""The documents under docs/ say what the code does: generated parts match, every key and code is there,
and every link stays inside the repository and resolves."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

from dagfactory.check.schema import build_schema
from dagfactory.diagnostics import CODES
from dagfactory.load.config import _KEYS as CONFIG_KEYS

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
REFERENCE = DOCS / "spec-reference.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _operator_docs_module():
    spec = importlib.util.spec_from_file_location("operator_docs", REPO / "scripts" / "operator_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_operator_reference_matches_the_catalog() -> None:
    committed = (DOCS / "operators.md").read_text(encoding="utf-8")
    assert committed == _operator_docs_module().render(), (
        "docs/operators.md is stale: run `python scripts/operator_docs.py > docs/operators.md`"
    )


def test_reference_has_a_row_for_every_error_code() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    missing = [code for code in CODES if f"| `{code}` |" not in text]
    assert not missing, f"docs/spec-reference.md has no row for: {', '.join(missing)}"


def test_reference_has_a_row_for_every_top_level_key_and_config_key() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    keys = [*build_schema()["properties"], *CONFIG_KEYS]
    missing = [key for key in keys if f"| `{key}` |" not in text]
    assert not missing, f"docs/spec-reference.md has no table row for: {', '.join(missing)}"


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped, spaces to '-'."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _documents() -> list[Path]:
    names = ("README.md", "SECURITY.md", "CONTRIBUTING.md", "CHANGELOG.md")
    return sorted(DOCS.glob("*.md")) + [REPO / name for name in names]


# A path to the project's own code or documents as the documents write it:
# `tests/load/test_loader.py::test_x`, `dagfactory/check/`, `tests/cli/test_cli*.py`.
# (specs/ and generated_dags/ paths in the documents are often a user's, as examples.)
REPO_PATH = re.compile(r"(?<![\w./-])((?:dagfactory|tests|scripts|bench|schemas|docs)/[\w./*-]*)")


def _named_paths(text: str) -> set[str]:
    """The paths ``text`` names; a placeholder in capitals (``op_NAME.yaml``) matches any name."""
    return {re.sub(r"[A-Z]{2,}", "*", match.rstrip(".")) for match in REPO_PATH.findall(text)}


@pytest.mark.parametrize(
    "path", [p for p in _documents() if p.name != "CHANGELOG.md"], ids=lambda p: p.relative_to(REPO).as_posix()
)
def test_every_repository_path_a_document_names_exists(path: Path) -> None:
    """README, SECURITY, CONTRIBUTING and docs/ point readers at files: those files must exist
    (the changelog is history and may name files that have since moved)."""
    named = _named_paths(path.read_text(encoding="utf-8"))
    missing = sorted(name for name in named if not any(REPO.glob(name)) and not _ignored(name))
    assert not missing, f"{path.name} names files that do not exist: {', '.join(missing)}"


def _ignored(name: str) -> bool:
    """A path git ignores (`bench/.work/`, made by the benchmark) may be named though absent."""
    return subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", name], check=False).returncode == 0


def test_the_path_pattern_finds_paths_in_prose_and_code() -> None:
    text = "see `tests/load/test_loader.py::test_x`, (dagfactory/check/), bench/*.py, tests/op_NAME.yaml. a/tests/x"
    assert _named_paths(text) == {"tests/load/test_loader.py", "dagfactory/check/", "bench/*.py", "tests/op_*.yaml"}


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_links_stay_in_the_repository_and_resolve(path: Path) -> None:
    bad = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        file_part = target.split("#", 1)[0]
        if "://" in target or target.startswith(("mailto:", "/")):
            bad.append(f"{target} (outside the repository)")
            continue
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.is_relative_to(REPO) or not resolved.exists():
            bad.append(f"{target} (no such file in the repository)")
        elif "#" in target and resolved.suffix == ".md" and target.split("#", 1)[1] not in _anchors(resolved):
            bad.append(f"{target} (no such heading)")
    assert not bad, f"{path.name}: " + ", ".join(bad)


# The head a spec needs around a documented fragment of tasks and groups.
FRAGMENT_HEAD = "description: d\nowner: o\nbusiness_owner: {name: n}\nschedule: null\nstart_date: 2024-01-01\n"
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_documented_task_fragments_validate(path: Path, tmp_path: Path) -> None:
    """Every YAML example that starts at `tasks:` or `groups:` is valid once a spec's head is put
    around it: a reader who copies one gets no error."""
    from dagfactory.check.project import check_project
    from dagfactory.load.config import Config
    from dagfactory.load.discover import discover

    blocks = [b for b in YAML_BLOCK.findall(path.read_text(encoding="utf-8")) if b.startswith(("tasks:", "groups:"))]
    for number, block in enumerate(blocks):
        (tmp_path / f"example_{number}.yaml").write_text(f"dag_id: example_{number}\n{FRAGMENT_HEAD}{block}")
    config = Config(specs=tmp_path)
    specs = discover([tmp_path], tmp_path, tmp_path)
    assert len(specs) == len(blocks)
    problems = check_project(specs, config).diagnostics
    if path.relative_to(REPO).as_posix() in ("README.md", "docs/spec-reference.md"):  # both show them so
        assert len(blocks) >= 4
    assert not problems, "\n".join(d.format_text() for d in problems)
