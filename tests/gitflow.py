"""Helpers for tests that drive the real ``git`` and ``pre-commit`` tools.

pre-commit installs a hook repository from a git commit, so the working tree
is copied into a throw-away repository and committed there (the lead commits
/work/main, not the tests). The copy and PRE_COMMIT_HOME are built once per
pytest process and shared by every test module: pre-commit then builds the
hook's virtualenv (pip installs dagfactory from PyPI dependencies) only once.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# What `pip install .` needs to build the package, plus the hook manifest.
_HOOK_REPO_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "dagfactory tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "dagfactory tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


@dataclass(frozen=True)
class HookRepo:
    path: Path  # a git repository holding a committed copy of the project
    rev: str  # the commit pre-commit installs from
    pre_commit_home: Path  # shared pre-commit cache (its virtualenvs)


def git_env(pre_commit_home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, **_GIT_IDENTITY, "NO_COLOR": "1"}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    if pre_commit_home is not None:
        env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env or git_env(), capture_output=True, text=True, check=False)


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], repo)
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    return path


def pre_commit(repo: HookRepo, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "pre_commit", *args], cwd, git_env(repo.pre_commit_home))


@functools.lru_cache(maxsize=1)
def hook_repo() -> HookRepo:
    """A committed copy of the current working tree (built once per process)."""
    base = Path(tempfile.mkdtemp(prefix="dagfactory-hooks-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    copy = init_repo(base / "dagfactory")
    shutil.copytree(
        PROJECT_ROOT / "dagfactory", copy / "dagfactory", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for name in _HOOK_REPO_FILES:
        if (PROJECT_ROOT / name).is_file():
            shutil.copy2(PROJECT_ROOT / name, copy / name)
    if not (copy / "README.md").exists():  # pyproject names it; the build fails without one
        (copy / "README.md").write_text("# dagfactory\n", encoding="utf-8")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "snapshot for hook tests")
    rev = git(copy, "rev-parse", "HEAD").stdout.strip()
    return HookRepo(copy, rev, base / "pre-commit-home")


def write_pre_commit_config(project: Path, repo: HookRepo, hook_ids: tuple[str, ...]) -> None:
    hooks = "".join(f"      - id: {hook_id}\n" for hook_id in hook_ids)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo.path.as_posix()}\n    rev: {repo.rev}\n    hooks:\n{hooks}", encoding="utf-8"
    )
