"""`validate` uses the incremental cache: an unchanged spec is not checked alone again, a change
re-checks exactly the specs it touches, and the report is always the one a cold run gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dagfactory.check.cache as cache_module
from dagfactory.check.cache import CACHE_DIR, CACHE_FILE, SpecCache, cache_settings
from dagfactory.check.project import check_project
from dagfactory.load.config import Config, with_overrides
from dagfactory.load.discover import discover
from dagfactory.load.document import Document

from ..cache_file import entries
from ..conftest import MINIMAL_SPEC, run_cli

SQL_SPEC = MINIMAL_SPEC.replace(
    "  only:\n    operator: empty\n",
    "  load:\n    operator: sql\n    conn_id: warehouse\n    sql: queries/load.sql\n",
)
WARNING = "default_args: {email_on_failure: true}\n"  # DF207, an Airflow 3 deprecation


def validate(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, int]:
    """Exit status, the diagnostics printed, and how many specs were checked afresh."""
    proc = run_cli("validate", *args, cwd=project, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    found = re.search(r"checked (\d+) specs?: [^(\n]*(?:\((\d+) unchanged since the last run)?", proc.stderr)
    assert found, proc.stderr
    return proc.returncode, proc.stdout, int(found[1]) - int(found[2] or 0)


def cold(project: Path, *args: str) -> tuple[int, str]:
    code, out, _ = validate(project, "--no-cache", *args)
    return code, out


@pytest.fixture
def repo(project: Path) -> Path:
    """Five specs: two under a shared _defaults.yaml, one embedding a .sql file, one with a warning."""
    specs = project / "specs"
    (specs / "team").mkdir()
    (specs / "team" / "_defaults.yaml").write_text("tags: [team]\n")
    (specs / "team" / "a.yaml").write_text(MINIMAL_SPEC)
    (specs / "team" / "b.yaml").write_text(MINIMAL_SPEC)
    (specs / "queries").mkdir()
    (specs / "queries" / "load.sql").write_text("SELECT 1;\n")
    (specs / "c_sql.yaml").write_text(SQL_SPEC)
    (specs / "d.yaml").write_text(MINIMAL_SPEC)
    (specs / "w.yaml").write_text(MINIMAL_SPEC + WARNING)
    code, out, rechecked = validate(project)
    assert (code, rechecked) == (0, 5)
    assert "warning[DF207]" in out
    assert (project / CACHE_DIR / CACHE_FILE).is_file()
    return project


def test_an_unchanged_repository_is_not_checked_again_and_reports_the_same(repo: Path):
    code, out, rechecked = validate(repo)
    assert (code, rechecked) == (0, 0)
    assert (code, out) == cold(repo)
    assert "warning[DF207]" in out  # a restored spec's own findings are restored too


@pytest.mark.parametrize(
    ("change", "rechecked"),
    [
        (lambda p: (p / "specs" / "d.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", "Edited")), 1),
        (lambda p: (p / "specs" / "team" / "_defaults.yaml").write_text("tags: [team, other]\n"), 2),
        (lambda p: (p / "specs" / "queries" / "load.sql").write_text("SELECT 2;\n"), 1),
        (lambda p: (p / "specs" / "new.yaml").write_text(MINIMAL_SPEC), 1),
        (lambda p: (p / "specs" / "d.yaml").unlink(), 0),
    ],
    ids=["spec", "defaults", "sql", "new-spec", "deleted-spec"],
)
def test_a_change_rechecks_exactly_the_specs_it_touches(repo: Path, change, rechecked: int):
    change(repo)
    code, out, found = validate(repo)
    assert found == rechecked
    assert (code, out) == cold(repo)
    assert validate(repo)[2] == 0  # and is cached again


def test_a_defaults_file_that_applies_newly_rechecks_its_specs(repo: Path):
    (repo / "specs" / "_defaults.yaml").write_text("owner: platform\n")  # applies to every spec
    assert validate(repo)[2] == 5
    assert validate(repo)[2] == 0


def test_settings_recheck_everything_but_warnings_as_errors_rechecks_nothing(repo: Path):
    # --warnings-as-errors promotes the restored findings: nothing to check again, the verdict flips
    code, out, rechecked = validate(repo, "--warnings-as-errors")
    assert (code, rechecked) == (1, 0)
    assert "error[DF207]" in out
    assert (code, out) == cold(repo, "--warnings-as-errors")
    # another Airflow target: every spec again (DF207 is an Airflow 3 deprecation)
    code, out, rechecked = validate(repo, "--airflow", "2")
    assert (code, rechecked) == (0, 5)
    assert "DF207" not in out
    assert (code, out) == cold(repo, "--airflow", "2")
    # another project policy in the config file: every spec again
    (repo / "dagfactory.toml").write_text("require_lineage = true\n")
    code, out, rechecked = validate(repo)
    assert (code, rechecked) == (1, 5)
    assert (code, out) == cold(repo)
    assert "error[DF" in out
    assert validate(repo)[2] == 5  # each spec now has an error of its own: never kept
    (repo / "dagfactory.toml").write_text("require_lineage = false\n")
    assert validate(repo)[2] == 5
    assert validate(repo)[2] == 0


def test_a_new_compiler_rechecks_everything(repo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(repo)
    config = Config()  # what the command line uses here: the cache's settings must match
    specs = discover([Path("specs")], Path("specs"), repo)

    def restored(project) -> int:
        return sum(r.restored for r in project.results)

    project = check_project(specs, config, SpecCache(repo, cache_settings(config)))
    assert restored(project) == 5
    monkeypatch.setattr(cache_module, "compiler_fingerprint", lambda: "another compiler")
    cache = SpecCache(repo, cache_settings(config))
    again = check_project(specs, config, cache)
    assert restored(again) == 0
    assert again.diagnostics == project.diagnostics
    cache.remember_checked(again.results)
    assert restored(check_project(specs, config, SpecCache(repo, cache_settings(config)))) == 5


def test_cross_spec_findings_are_always_recomputed(repo: Path):
    """Two specs claiming one dag_id: the later is reported, from the cache or not; removing the
    first clears it without checking the second again."""
    (repo / "specs" / "team" / "a.yaml").write_text(MINIMAL_SPEC + "dag_id: shared\n")
    (repo / "specs" / "team" / "b.yaml").write_text(MINIMAL_SPEC + "dag_id: shared\n")
    code, out, rechecked = validate(repo)
    assert (code, rechecked) == (1, 2)
    assert "specs/team/b.yaml:10:9: error[DF402]" in out
    code, out, rechecked = validate(repo)
    assert (code, rechecked) == (1, 0)
    assert "specs/team/b.yaml:10:9: error[DF402]" in out  # the exact line, read again for a restored spec
    assert (code, out) == cold(repo)
    (repo / "specs" / "team" / "a.yaml").unlink()
    code, out, rechecked = validate(repo)
    assert (code, rechecked) == (0, 0)
    assert "DF402" not in out


def test_a_spec_with_an_error_is_not_cached(repo: Path):
    """Its error may be about a file that does not exist yet: creating the file must clear it."""
    (repo / "specs" / "e.yaml").write_text(SQL_SPEC.replace("queries/load.sql", "queries/later.sql"))
    code, out, rechecked = validate(repo)
    assert (code, rechecked) == (1, 1)
    assert "later.sql" in out
    assert "specs/e.yaml" not in entries(repo)
    (repo / "specs" / "queries" / "later.sql").write_text("SELECT 3;\n")
    code, out, rechecked = validate(repo)
    assert (code, rechecked, out) == (0, 1, cold(repo)[1])


def test_validate_and_compile_share_the_cache(repo: Path):
    proc = run_cli("compile", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "5 written" in proc.stderr  # rendered: validate's entries have no output
    assert validate(repo)[2] == 0
    assert "0 written, 5 unchanged" in run_cli("compile", cwd=repo).stderr
    (repo / "specs" / "d.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", "Edited"))
    assert validate(repo)[2] == 1
    proc = run_cli("compile", cwd=repo)
    assert "1 written, 4 unchanged" in proc.stderr
    assert 'description="Edited"' in (repo / "generated_dags" / "d.py").read_text()


def test_no_cache_neither_reads_nor_writes_it(repo: Path):
    stored = (repo / CACHE_DIR / CACHE_FILE).read_bytes()
    (repo / "specs" / "d.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", "Edited"))
    assert validate(repo, "--no-cache")[2] == 5
    assert (repo / CACHE_DIR / CACHE_FILE).read_bytes() == stored


def test_a_cache_made_elsewhere_never_decides_what_validate_reports(repo: Path, tmp_path: Path):
    """An entry forged with another user's key (the attacker's own) says a bad spec is clean: on the
    attacker's machine it would be believed; on this one it matches nothing."""
    attacker = tmp_path / "attacker"
    bad = repo / "specs" / "d.yaml"
    bad.write_text(MINIMAL_SPEC.replace("empty", "emty"))
    forged = _forge(repo, attacker, bad)
    assert validate(repo, env={"XDG_CACHE_HOME": str(attacker)})[0] == 0  # believed where it was made
    (repo / CACHE_DIR / CACHE_FILE).write_text(forged)
    code, out, rechecked = validate(repo, env={"XDG_CACHE_HOME": str(tmp_path / "victim")})
    assert (code, rechecked) == (1, 5)
    assert "error[DF104]" in out


def _forge(repo: Path, home: Path, spec: Path) -> str:
    """The cache file an attacker would commit: the clean entry of d.yaml, keyed for the bad bytes."""
    import os

    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(home)
    try:
        config = with_overrides(Config(), specs=Path("specs"))
        cache = SpecCache(repo, cache_settings(config))
        cache_module.compiler_fingerprint.cache_clear()
        clean = Document("specs/d.yaml", {"dag_id": "d", "tasks": {}}, base_dir=spec.parent)
        cache.remember(clean, spec, [], [])  # the clean entry, keyed for the bad bytes
        cache.save()
    finally:
        if old is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = old
    return (repo / CACHE_DIR / CACHE_FILE).read_text()


def test_a_run_over_the_whole_folder_forgets_deleted_specs_a_run_over_some_keeps_them(repo: Path):
    def kept() -> set[str]:
        return set(entries(repo))

    assert "specs/d.yaml" in kept()
    (repo / "specs" / "d.yaml").unlink()
    assert validate(repo, "specs/w.yaml")[2] == 0
    assert "specs/d.yaml" in kept()  # a run over some specs knows nothing of the others
    assert validate(repo)[2] == 0
    assert "specs/d.yaml" not in kept()
    assert len(kept()) == 4
    (repo / "specs" / "w.yaml").unlink()
    assert run_cli("compile", cwd=repo).returncode == 0
    assert "specs/w.yaml" not in kept()
    assert len(kept()) == 3


def test_a_fresh_checkout_with_the_cache_restored_rechecks_nothing(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
):
    """CI on a fresh runner: every file is new (new inodes and times, so no stamp matches), the
    cache folder and the key are restored: the specs are read and hashed, none is checked again."""
    import shutil

    assert run_cli("compile", cwd=repo).returncode == 0
    checkout = tmp_path_factory.mktemp("checkout")
    shutil.copytree(repo, checkout, copy_function=shutil.copyfile, dirs_exist_ok=True)
    shutil.rmtree(repo)
    checkout.rename(repo)
    code, out, rechecked = validate(repo)
    assert (code, out, rechecked) == (*cold(repo), 0)
    assert "0 written, 5 unchanged" in run_cli("compile", cwd=repo).stderr


def test_the_cache_keeps_the_bytes_that_were_checked_not_an_edit_made_since(
    repo: Path, monkeypatch: pytest.MonkeyPatch
):
    """A spec saved again while a run is checking the others: the run keeps its findings under
    the bytes it checked, so the next run sees the edit and checks the spec again."""
    monkeypatch.chdir(repo)
    spec = repo / "specs" / "d.yaml"
    spec.write_text(MINIMAL_SPEC.replace("A test pipeline", "Checked"))
    config = with_overrides(Config(), specs=Path("specs"))
    specs = discover([Path("specs")], Path("specs"), repo)
    cache = SpecCache(repo, cache_settings(config))
    project = check_project(specs, config, cache, slim=True, kits=True)
    assert project.ok
    spec.write_text(MINIMAL_SPEC.replace("empty", "emty"))  # saved before the run keeps what it found
    cache.remember_checked(project.results)
    code, out, rechecked = validate(repo)
    assert (code, rechecked) == (1, 1)
    assert "error[DF104]" in out


def test_a_slim_result_holds_the_summary_the_cache_would_make_of_the_whole_spec(monkeypatch: pytest.MonkeyPatch):
    """What the cache keeps of a spec checked afresh comes from its slim result, not from walking
    the whole document again: the two are the same for every shipped example."""
    from dagfactory.check.summary import summary_fields
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    config = with_overrides(Config(), specs=Path("specs"))
    project = check_project(discover([Path("specs")], Path("specs"), REPO), config, slim=True, kits=True)
    assert project.ok
    for result in project.results:
        whole = result.whole_document()
        assert whole is not None
        assert result.summary() == summary_fields(whole), result.spec.display
