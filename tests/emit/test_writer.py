from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from dagfactory.emit import writer

TEXT = writer.HEADER + "# Source: specs/a.yaml\nx = 1\n"


def plan_one(out: Path, text: str = TEXT, prune: bool = False) -> writer.Plan:
    return writer.plan({PurePosixPath("sub/a.py"): ("specs/sub/a.yaml", text)}, out, prune=prune)


def test_new_file_is_written_atomically_without_leftovers(tmp_path: Path):
    plan = plan_one(tmp_path)
    assert list(plan.write) == [tmp_path / "sub" / "a.py"]
    assert writer.apply(plan) == []
    assert (tmp_path / "sub" / "a.py").read_text() == TEXT
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["a.py"]


def test_identical_file_is_left_untouched(tmp_path: Path):
    writer.apply(plan_one(tmp_path))
    target = tmp_path / "sub" / "a.py"
    os.utime(target, (1_000_000, 1_000_000))
    plan = plan_one(tmp_path)
    assert plan.write == {}
    assert plan.unchanged == [target]
    writer.apply(plan)
    assert target.stat().st_mtime == 1_000_000


def test_hand_written_file_is_never_overwritten(tmp_path: Path):
    target = tmp_path / "sub" / "a.py"
    target.parent.mkdir()
    target.write_text("# my own DAG\n")
    plan = plan_one(tmp_path)
    assert plan.write == {}
    (conflict,) = plan.conflicts
    assert conflict.code == "DF401"
    assert conflict.path == "specs/sub/a.yaml"
    assert target.read_text() == "# my own DAG\n"


def test_what_is_in_the_way_of_a_generated_file_is_never_replaced(tmp_path: Path):
    """A symlink (even to a generated file), a folder, a dangling link: all conflicts."""
    writer.apply(plan_one(tmp_path / "elsewhere"))
    target = tmp_path / "out" / "sub" / "a.py"
    target.parent.mkdir(parents=True)
    for make in (
        lambda: target.symlink_to(tmp_path / "elsewhere" / "sub" / "a.py"),
        lambda: target.mkdir(),
        lambda: target.symlink_to(tmp_path / "missing.py"),
    ):
        make()
        plan = plan_one(tmp_path / "out")
        assert (plan.write, [c.code for c in plan.conflicts]) == ({}, ["DF401"])
        target.unlink() if target.is_symlink() else target.rmdir()


def test_a_checkout_with_crlf_line_ends_counts_as_current(tmp_path: Path):
    """git's autocrlf turns LF into CRLF on checkout: that is no change to rewrite."""
    target = tmp_path / "sub" / "a.py"
    target.parent.mkdir()
    target.write_bytes(TEXT.replace("\n", "\r\n").encode())
    plan = plan_one(tmp_path)
    assert plan.write == {}
    assert plan.unchanged == [target]
    target.write_bytes(TEXT.replace("x = 1", "x = 2").encode())
    assert list(plan_one(tmp_path).write) == [target]


def test_prune_removes_only_generated_orphans(tmp_path: Path):
    (tmp_path / "old.py").write_text(TEXT)
    (tmp_path / "mine.py").write_text("from airflow.sdk import DAG\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helpers.py").write_text("def f(): ...\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "old.py")  # a link is never ours, whatever it points to
    (tmp_path / "folder.py").mkdir()
    plan = plan_one(tmp_path, prune=True)
    assert plan.remove == [tmp_path / "old.py"]
    assert "--- a/" in writer.diff(plan)
    assert "+++ /dev/null" in writer.diff(plan)
    writer.apply(plan)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")) == [
        "folder.py", "lib/helpers.py", "link.py", "mine.py", "sub/a.py"]  # fmt: skip


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` unwritable for this process: chmod for a user; root ignores permissions, so
    for root (as CI runs) a read-only bind mount of the folder onto itself."""
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        os.chmod(folder, 0o555)
        try:
            yield
        finally:
            os.chmod(folder, 0o755)


def test_unwritable_folder_is_a_diagnostic_and_keeps_old_files(tmp_path: Path):
    writer.apply(plan_one(tmp_path))
    target = tmp_path / "sub" / "a.py"
    with read_only(target.parent):
        problems = writer.apply(plan_one(tmp_path, TEXT + "y = 2\n"))
    assert [p.code for p in problems] == ["DF403"]
    assert target.read_text() == TEXT


def test_concurrent_compiles_take_turns_on_the_output_folder(tmp_path: Path):
    """While one compile holds the folder, another waits (and says so), then writes whole files."""
    import fcntl
    import subprocess
    import time

    from ..conftest import DAGFACTORY, MINIMAL_SPEC

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    out = tmp_path / "generated_dags"
    out.mkdir()
    holder = os.open(out, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as a running compile would
    proc = subprocess.Popen([str(DAGFACTORY), "compile"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert proc.poll() is None, "the second compile must wait for the lock"
    assert not (out / "a.py").exists()
    os.close(holder)  # the first compile finishes
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "waiting for another dagfactory compile" in err
    assert (out / "a.py").read_text().startswith(writer.HEADER)


def test_a_full_disk_is_a_clear_error_and_the_old_file_survives(tmp_path: Path):
    """Root (CI) mounts a 64 KiB tmpfs and fills it; others get a read-only folder instead."""
    import subprocess

    from ..conftest import MINIMAL_SPEC, run_cli

    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "a.yaml"
    spec.write_text(MINIMAL_SPEC)
    out = tmp_path / "generated_dags"
    out.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(out)], check=True)
    try:
        assert run_cli("compile", "--no-cache", cwd=tmp_path).returncode == 0
        old = (out / "a.py").read_text()
        big = "x" * 200_000  # the new file cannot fit
        spec.write_text(MINIMAL_SPEC + f"doc_md: {big}\n")
        if not as_root:
            os.chmod(out, 0o555)
        proc = run_cli("compile", "--no-cache", cwd=tmp_path)
        assert proc.returncode == 1
        assert "error[DF403]: cannot write" in proc.stdout
        assert "Traceback" not in proc.stdout + proc.stderr
        assert (out / "a.py").read_text() == old
        assert sorted(p.name for p in out.iterdir()) == ["a.py"]  # no temp file left behind
    finally:
        os.chmod(out, 0o755)
        if as_root:
            subprocess.run(["umount", str(out)], check=True)


def test_ownership_needs_the_whole_header_not_its_first_words(tmp_path: Path):
    """A user's file that only starts like ours is theirs: never pruned, never overwritten (DF401)."""
    lookalikes = {
        "fork.py": "# Generated by dagfactory-fork, hand edited\nx = 1\n",
        "first_line_only.py": writer.HEADER.splitlines()[0] + "\n# my own notes\nx = 1\n",
        "old_first_line_only.py": writer.LEGACY_HEADER.splitlines()[0] + "\nx = 1\n",
    }
    for name, text in lookalikes.items():
        (tmp_path / name).write_text(text)
    plan = writer.plan({PurePosixPath("fork.py"): ("specs/fork.yaml", TEXT)}, tmp_path, prune=True)
    assert [d.code for d in plan.conflicts] == ["DF401"]
    assert plan.remove == []
    assert plan.write == {}


def test_files_with_the_current_or_the_earlier_header_are_ours(tmp_path: Path):
    """Upgrading is never blocked: a file the previous version generated is rewritten and pruned."""
    legacy = writer.LEGACY_HEADER + "specs/sub/a.yaml\nx = 1\n"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.py").write_text(legacy)
    (tmp_path / "orphan_old.py").write_text(legacy)
    (tmp_path / "orphan_new.py").write_bytes(TEXT.replace("\n", "\r\n").encode())  # a CRLF checkout
    plan = plan_one(tmp_path, prune=True)
    assert plan.conflicts == []
    assert list(plan.write) == [tmp_path / "sub" / "a.py"]
    assert plan.remove == [tmp_path / "orphan_new.py", tmp_path / "orphan_old.py"]


def test_a_longest_file_name_is_written(tmp_path: Path):
    """The temp file's name is cut short: a 255-byte output name still fits on the disk."""
    name = "x" * 252 + ".py"
    plan = writer.plan({PurePosixPath(name): ("specs/x.yaml", TEXT)}, tmp_path, prune=False)
    assert writer.apply(plan) == []
    assert (tmp_path / name).read_text() == TEXT


def test_an_output_the_cache_vouched_for_is_checked_again_under_the_lock(tmp_path: Path) -> None:
    """A large compile keeps only the hash of an output the cache found current (writer.Current):
    the plan, made under the folder's lock, reads the file again; a file changed in between is a
    DF403 (nothing is written), never silently kept as unchanged."""
    import hashlib

    out = tmp_path / "out"
    out.mkdir()
    (out / "a.py").write_text(TEXT)
    vouched = writer.Current(hashlib.sha256(TEXT.encode()).hexdigest())
    same = writer.plan({PurePosixPath("a.py"): ("specs/a.yaml", vouched)}, out, prune=True)
    assert (same.unchanged, same.write, same.conflicts) == ([out / "a.py"], {}, [])
    (out / "a.py").write_text(TEXT + "y = 2\n")  # another process at work since
    changed = writer.plan({PurePosixPath("a.py"): ("specs/a.yaml", vouched)}, out, prune=True)
    assert changed.write == {}
    assert [(d.code, d.path) for d in changed.conflicts] == [("DF403", "specs/a.yaml")]
    assert "changed while this compile ran" in changed.conflicts[0].message
