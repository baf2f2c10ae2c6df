"""Incremental compile: faster when nothing changed, never different."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from dagfactory.emit import render_project, writer
from dagfactory.emit.cache import CACHE_DIR, CACHE_FILE, CompileCache, cache_settings, context_fingerprint
from dagfactory.emit.writer import Current
from dagfactory.load.config import Config, with_overrides
from dagfactory.load.discover import discover
from dagfactory.load.document import load_text
from dagfactory.load.files import RACY_COARSE_NS, stamp

from ..cache_file import cache_path, entries, store, stored, stored_data
from ..conftest import MINIMAL_SPEC, run_cli

SQL_SPEC = MINIMAL_SPEC.replace(
    "  only:\n    operator: empty\n",
    "  load:\n    operator: sql\n    conn_id: warehouse\n    sql: queries/load.sql\n",
)


def compile_(project: Path, *args: str):
    proc = run_cli("compile", *args, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stderr


def cached_entries(project: Path) -> dict:
    return entries(project)


def test_second_compile_restores_from_cache_and_output_is_identical(project: Path, tmp_path: Path):
    for i in range(3):
        (project / "specs" / f"s{i}.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", f"Pipeline {i}"))
    assert "3 written" in compile_(project)
    assert sorted(cached_entries(project)) == ["specs/s0.yaml", "specs/s1.yaml", "specs/s2.yaml"]
    assert (project / CACHE_DIR / ".gitignore").read_text() == "*\n"
    assert "0 written, 3 unchanged" in compile_(project)
    fresh = tmp_path / "fresh"
    compile_(project, "--no-cache", "--out", str(fresh))
    for path in (project / "generated_dags").glob("*.py"):
        assert path.read_bytes() == (fresh / path.name).read_bytes()


def test_edited_spec_hand_edited_output_and_embedded_file_are_all_noticed(project: Path):
    (project / "specs" / "queries").mkdir()
    (project / "specs" / "queries" / "load.sql").write_text("SELECT 1;\n")
    (project / "specs" / "etl.yaml").write_text(SQL_SPEC)
    (project / "specs" / "other.yaml").write_text(MINIMAL_SPEC)
    compile_(project)
    output = project / "generated_dags" / "etl.py"
    assert "SELECT 1;" in output.read_text()

    (project / "specs" / "queries" / "load.sql").write_text("SELECT 2;\n")
    assert "1 written, 1 unchanged" in compile_(project)
    assert "SELECT 2;" in output.read_text()

    output.write_text(output.read_text() + "# edited by hand\n")
    assert "1 written, 1 unchanged" in compile_(project)
    assert "# edited by hand" not in output.read_text()

    (project / "specs" / "other.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", "Changed"))
    assert "1 written, 1 unchanged" in compile_(project)
    assert 'description="Changed"' in (project / "generated_dags" / "other.py").read_text()


def test_corrupt_cache_is_ignored(project: Path):
    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    compile_(project)
    (project / CACHE_DIR / CACHE_FILE).write_text("{not json")
    assert "0 written, 1 unchanged" in compile_(project)
    assert "specs/a.yaml" in cached_entries(project)


def test_restored_spec_still_reports_its_warnings_and_errors_elsewhere_still_fail(project: Path):
    (project / "specs" / "warn.yaml").write_text(MINIMAL_SPEC + "default_args: {email_on_failure: true}\n")
    first = run_cli("compile", cwd=project)
    assert first.returncode == 0
    assert "warning[DF207]" in first.stdout
    second = run_cli("compile", cwd=project)
    assert second.returncode == 0
    assert "warning[DF207]" in second.stdout
    (project / "specs" / "bad.yaml").write_text(MINIMAL_SPEC.replace("empty", "emty"))
    third = run_cli("compile", cwd=project)
    assert third.returncode == 1
    assert "error[DF104]" in third.stdout
    assert "warning[DF207]" in third.stdout


def test_a_restored_spec_reports_new_cross_spec_errors_at_the_exact_line(project: Path):
    """Positions are not cached: a restored spec that another, newer spec now conflicts with
    is read again, so the error points at its own line, or at the shared defaults file the
    value came from; and a cache file of an older format is removed."""
    (project / "specs" / "team").mkdir()
    (project / "specs" / "team" / "_defaults.yaml").write_text("# shared\nlineage:\n  outputs: [s3://lake/orders]\n")
    (project / "specs" / "team" / "b_writer.yaml").write_text(MINIMAL_SPEC + "dag_id: shared_id\n")
    (project / CACHE_DIR).mkdir()
    (project / CACHE_DIR / "compile-v3.json").write_text("{}")
    compile_(project)
    assert not (project / CACHE_DIR / "compile-v3.json").exists()
    assert "specs/team/b_writer.yaml" in cached_entries(project)
    # a_other.yaml sorts first: b_writer.yaml (restored from the cache) is the one reported
    other = project / "specs" / "team" / "a_other.yaml"
    for extra, expected in [
        ("", ("specs/team/_defaults.yaml", 3, 13, "DF701", "also written by 'a_other'")),
        ("dag_id: shared_id\n", ("specs/team/b_writer.yaml", 10, 9, "DF402", "already used by specs/team/a_other")),
    ]:
        other.write_text(MINIMAL_SPEC + extra)
        proc = run_cli("compile", "--format", "json", cwd=project)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        [found] = json.loads(proc.stdout)
        assert (found["path"], found["line"], found["column"], found["code"]) == expected[:4]
        assert expected[4] in found["message"]


def test_a_new_compiler_or_other_settings_invalidate_everything(tmp_path: Path):
    cache = CompileCache(tmp_path, "settings-a")
    cache.entries["x"] = {"key": "k"}
    cache.dirty = True
    cache.save()
    assert CompileCache(tmp_path, "settings-a").entries == {"x": {"key": "k"}}
    assert CompileCache(tmp_path, "settings-b").entries == {}


def test_context_fingerprint_follows_lineage_not_descriptions():
    def doc(text: str):
        document, problems = load_text(text, "s.yaml")
        assert problems == []
        return document

    base = context_fingerprint([doc(MINIMAL_SPEC)])
    assert context_fingerprint([doc(MINIMAL_SPEC.replace("A test pipeline", "Other"))]) == base
    assert context_fingerprint([doc(MINIMAL_SPEC + "lineage: {outputs: [s3://b/k]}\n")]) != base


# ----------------------------------------------------------------------------- --check never trusts it


def check_(project: Path) -> tuple[int, str]:
    proc = run_cli("compile", "--check", cwd=project)
    return proc.returncode, proc.stdout + proc.stderr


def sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_check_fails_on_an_edited_output_even_when_the_cache_vouches_for_it(project: Path):
    """The cache's stored output hash is changed to match the hand edit: --check still renders afresh."""
    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    compile_(project)
    output = project / "generated_dags" / "a.py"
    edited = output.read_bytes() + b"__import__('os').system('id')\n"
    output.write_bytes(edited)
    assert check_(project)[0] == 1  # the edit alone
    head = stored(project)
    head["entries"]["specs/a.yaml"]["output"] = sha(edited)
    store(project, head)
    code, output_text = check_(project)
    assert code == 1, output_text
    assert "is out of date: 1 to write" in output_text
    assert "+__import__" not in output_text
    assert stored(project) == head  # --check writes no cache


def test_check_fails_when_cache_and_output_both_come_from_another_spec(project: Path):
    """An attacker commits the output of an evil spec, the honest spec, and a cache whose entry (data,
    output hash) is the evil spec's under the honest spec's key: --check still reports the drift."""
    spec = project / "specs" / "a.yaml"
    spec.write_text(MINIMAL_SPEC)
    compile_(project)
    honest_key = cached_entries(project)["specs/a.yaml"]["key"]
    spec.write_text(MINIMAL_SPEC.replace("A test pipeline", "Evil pipeline"))
    compile_(project)
    head = stored(project)
    head["entries"]["specs/a.yaml"]["key"] = honest_key
    store(project, head)
    spec.write_text(MINIMAL_SPEC)
    code, output_text = check_(project)
    assert code == 1, output_text
    assert '-    description="Evil pipeline",' in output_text
    assert '+    description="A test pipeline",' in output_text


def test_a_cache_made_elsewhere_never_decides_what_compile_writes(project: Path, tmp_path: Path):
    """The attack above against a plain `compile`, with the cache made on the attacker's machine (their
    own cache key) and committed: on this machine it matches nothing, so the honest spec is compiled."""
    attacker = {"XDG_CACHE_HOME": str(tmp_path / "attacker")}
    spec = project / "specs" / "a.yaml"
    spec.write_text(MINIMAL_SPEC)
    assert run_cli("compile", cwd=project, env=attacker).returncode == 0
    honest_key = cached_entries(project)["specs/a.yaml"]["key"]
    spec.write_text(MINIMAL_SPEC.replace("A test pipeline", "Evil pipeline"))
    assert run_cli("compile", cwd=project, env=attacker).returncode == 0
    head = stored(project)
    head["entries"]["specs/a.yaml"]["key"] = honest_key
    store(project, head)
    spec.write_text(MINIMAL_SPEC)
    victim = run_cli("compile", cwd=project, env={"XDG_CACHE_HOME": str(tmp_path / "victim")})
    assert victim.returncode == 0, victim.stderr
    assert "1 written" in victim.stderr, victim.stderr
    assert 'description="A test pipeline"' in (project / "generated_dags" / "a.py").read_text()
    assert (tmp_path / "victim" / "dagfactory" / "cache-key").stat().st_mode & 0o777 == 0o600


def test_no_cache_key_means_no_cache_not_a_failure(project: Path, tmp_path: Path):
    (tmp_path / "not_a_folder").write_text("")
    env = {"XDG_CACHE_HOME": str(tmp_path / "not_a_folder")}
    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    for _ in range(2):
        assert "1 written" in run_cli("compile", "--out", str(tmp_path / "out"), cwd=project, env=env).stderr
        (tmp_path / "out" / "a.py").unlink()
    assert not (project / CACHE_DIR).exists()


def test_a_spec_whose_name_is_not_utf8_is_cached(project: Path):
    import os

    (project / "specs" / os.fsdecode(b"a\xff.yaml")).write_text(MINIMAL_SPEC)
    assert "1 written" in compile_(project)
    assert "0 written, 1 unchanged" in compile_(project)


def _settled(*paths: Path) -> None:
    """Wait until the files' last change is old enough for their stamps to be kept."""
    latest = max(max(p.stat().st_ctime_ns, p.stat().st_mtime_ns) for p in paths)
    while time.time_ns() < latest + RACY_COARSE_NS + 50_000_000:
        time.sleep(0.05)


def test_a_noop_compile_neither_models_nor_renders_nor_decodes_a_spec(project: Path, monkeypatch):
    """Every spec restored, every output vouched for by its stamp: no spec's data is decoded and
    nothing is rendered (a run that did either would still write the same bytes, only slower)."""
    for i in range(3):
        (project / "specs" / f"s{i}.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", f"Pipeline {i}"))
    compile_(project)
    _settled(*(project / "specs").glob("*.yaml"), *(project / "generated_dags").glob("*.py"))
    compile_(project)  # keeps the stamps, now settled
    assert all(e["stamp"] and e["output_stamp"] for e in entries(project).values())
    monkeypatch.chdir(project)
    config = with_overrides(Config(), specs=Path("specs"))
    specs = discover([Path("specs")], Path("specs"), project)
    cache = CompileCache(project, cache_settings(config))
    monkeypatch.setattr(CompileCache, "data", lambda *_: pytest.fail("a spec's data was decoded"))
    monkeypatch.setattr("dagfactory.emit.render_one", lambda *_: pytest.fail("a spec was rendered"))
    monkeypatch.setattr("dagfactory.load.files.read_regular_stat", lambda *_: pytest.fail("an output was read"))
    rendered = render_project(specs, config, cache)
    assert [type(r.text) for r in rendered] == [Current] * 3
    assert all(r.text.stamp is not None for r in rendered if isinstance(r.text, Current))
    plan = writer.plan({r.spec.output_relative: (r.spec.display, r.text) for r in rendered}, config.out, prune=True)
    assert (len(plan.unchanged), plan.changes, plan.conflicts) == (3, 0, [])


def test_an_edit_that_keeps_size_and_mtime_is_noticed_in_a_spec_and_an_output(project: Path):
    """A stamp is git's: an edit that keeps a file's size and sets its mtime back still moves its
    ctime, which no tool sets back; so the cache reads the file and finds the change."""
    spec = project / "specs" / "a.yaml"
    spec.write_text(MINIMAL_SPEC)
    compile_(project)
    output = project / "generated_dags" / "a.py"
    edits = [(spec, "A test pipeline", "A best pipeline"), (output, "A best pipeline", "A pest pipeline")]
    for path, old, new in edits:
        _settled(spec, output)
        compile_(project)  # the stamps of both are kept
        assert entries(project)["specs/a.yaml"]["stamp"]
        assert entries(project)["specs/a.yaml"]["output_stamp"]
        before = path.stat()
        path.write_text(path.read_text().replace(old, new))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        assert "1 written" in compile_(project)
        assert 'description="A best pipeline"' in output.read_text()


def test_stamps_are_kept_only_once_a_file_has_settled():
    """A file changed within the file system's clock tick of the moment it is looked at may change
    again unseen: no stamp then. Whole-second times (a coarse clock) get a wider margin."""
    now = 1_800_000_000_123_456_789

    def status(changed: int) -> os.stat_result:
        return os.stat_result((0o100644, 7, 3, 1, 0, 0, 10, 0, 0, 0), {"st_mtime_ns": changed, "st_ctime_ns": changed})

    assert stamp(status(now - 50_000_000), now) is None
    assert stamp(status(now - 150_000_000), now) == (3, 7, 10, now - 150_000_000, now - 150_000_000)
    whole = (now // 1_000_000_000 - 1) * 1_000_000_000  # a whole second, 1.1 s ago
    assert stamp(status(whole), now) is None
    assert stamp(status(whole - 1_000_000_000), now) is not None


def test_a_damaged_data_line_is_a_cold_cache_and_deleted_specs_leave_it(project: Path):
    for name in ("a", "b"):
        (project / "specs" / f"{name}.yaml").write_text(MINIMAL_SPEC)
    compile_(project)
    assert sorted(stored_data(project)) == ["specs/a.yaml", "specs/b.yaml"]
    assert stored_data(project)["specs/a.yaml"]["description"] == "A test pipeline"
    (project / "specs" / "b.yaml").unlink()
    assert "1 removed" in compile_(project)
    assert sorted(stored_data(project)) == ["specs/a.yaml"]
    raw = cache_path(project).read_bytes()
    cache_path(project).write_bytes(raw.replace(b"A test pipeline", b"A evil pipeline", 1))
    (project / "generated_dags" / "a.py").unlink()  # rendered again: from the spec, not the damaged line
    assert "1 written" in compile_(project)
    assert 'description="A test pipeline"' in (project / "generated_dags" / "a.py").read_text()
