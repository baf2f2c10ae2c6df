"""Nothing is written outside the output folder or (by `new`) the specs folder, and no spec is read
from outside the specs folder, whatever symlinks the trees hold. Real links on a real filesystem."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ..conftest import MINIMAL_SPEC, run_cli


@pytest.fixture
def elsewhere(project: Path) -> Path:
    folder = project / "elsewhere"
    folder.mkdir()
    return folder


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def compile_json(project: Path, *args: str) -> tuple[int, list[dict], str]:
    proc = run_cli("compile", "--format", "json", *args, cwd=project)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout or "[]"), proc.stderr


# ------------------------------------------------------------------ outputs


@pytest.mark.parametrize("depth", ["team/daily", "team/sub/daily"])
def test_a_symlinked_output_folder_leading_out_is_df403_and_nothing_is_written(
    project: Path, elsewhere: Path, depth: str
) -> None:
    (project / "specs" / f"{depth}.yaml").parent.mkdir(parents=True)
    (project / "specs" / f"{depth}.yaml").write_text(MINIMAL_SPEC)
    (project / "specs" / "plain.yaml").write_text(MINIMAL_SPEC.replace("A test", "Another"))
    (project / "generated_dags" / "team").symlink_to(elsewhere, target_is_directory=True)
    for args in ((), ("--check",)):
        code, found, stderr = compile_json(project, *args)
        assert code == 1, stderr
        [d] = found
        assert (d["path"], d["line"], d["column"], d["code"]) == (f"specs/{depth}.yaml", 1, 1, "DF403")
        assert "outside generated_dags" in d["message"]
        assert "symlinked folder" in d["message"]
    assert files_in(elsewhere) == []  # not a file, not even a folder made out there
    assert files_in(project / "generated_dags") == ["team"]  # nothing written, not even plain.py


def test_links_that_stay_in_the_output_folder_are_fine(project: Path) -> None:
    (project / "specs" / "team").mkdir()
    (project / "specs" / "team" / "daily.yaml").write_text(MINIMAL_SPEC)
    (project / "generated_dags" / "real").mkdir()
    (project / "generated_dags" / "team").symlink_to("real", target_is_directory=True)
    code, found, stderr = compile_json(project)
    assert (code, found) == (0, []), stderr
    assert (project / "generated_dags" / "real" / "daily.py").is_file()


def test_an_output_folder_that_is_itself_a_link_is_written_into(project: Path, elsewhere: Path) -> None:
    (project / "specs" / "daily.yaml").write_text(MINIMAL_SPEC)
    shutil.rmtree(project / "generated_dags")
    (project / "generated_dags").symlink_to(elsewhere, target_is_directory=True)
    assert compile_json(project)[0] == 0
    assert files_in(elsewhere) == ["daily.py"]


@pytest.mark.parametrize("target", ["a generated file", "nothing (dangling)"])
def test_a_symlinked_output_file_is_never_written_through(project: Path, elsewhere: Path, target: str) -> None:
    (project / "specs" / "daily.yaml").write_text(MINIMAL_SPEC)
    assert compile_json(project)[0] == 0
    generated = (project / "generated_dags" / "daily.py").read_text()
    outside = elsewhere / "daily.py"
    if target == "a generated file":
        outside.write_text(generated.replace("A test pipeline", "not this one"))
    (project / "generated_dags" / "daily.py").unlink()
    (project / "generated_dags" / "daily.py").symlink_to(outside)
    code, [d], _ = compile_json(project)
    assert (code, d["path"], d["code"]) == (1, "specs/daily.yaml", "DF401")
    assert files_in(elsewhere) == (["daily.py"] if target == "a generated file" else [])
    if outside.exists():
        assert "not this one" in outside.read_text()


def test_a_fifo_in_place_of_a_cached_output_is_refused_without_hanging(project: Path) -> None:
    (project / "specs" / "daily.yaml").write_text(MINIMAL_SPEC)
    assert compile_json(project)[0] == 0  # the cache now expects daily.py
    (project / "generated_dags" / "daily.py").unlink()
    os.mkfifo(project / "generated_dags" / "daily.py")
    code, [d], _ = compile_json(project)  # run_cli fails on its timeout if anything blocks on the FIFO
    assert (code, d["path"], d["code"]) == (1, "specs/daily.yaml", "DF401")


# ------------------------------------------------------------------ `dagfactory new`


@pytest.mark.parametrize("name", ["../outside", "/abs/path", "a/../../b", "../../etc/passwd"])
def test_new_refuses_a_name_leaving_the_specs_folder_as_bad_usage(project: Path, name: str) -> None:
    proc = run_cli("new", name, cwd=project)
    assert proc.returncode == 2
    assert "dagfactory new: error:" in proc.stderr
    assert files_in(project / "specs") == []
    assert not list(project.parent.glob("outside*"))


@pytest.mark.parametrize("name", ["team/daily", "team/sub/daily"])
def test_new_never_writes_through_a_symlinked_folder(project: Path, elsewhere: Path, name: str) -> None:
    (project / "specs" / "team").symlink_to(elsewhere, target_is_directory=True)
    proc = run_cli("new", name, cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "outside specs" in proc.stderr
    assert "symlinked folder" in proc.stderr
    assert files_in(elsewhere) == []


def test_new_through_a_link_that_stays_inside_is_fine(project: Path) -> None:
    (project / "specs" / "real").mkdir()
    (project / "specs" / "team").symlink_to("real", target_is_directory=True)
    assert run_cli("new", "team/daily", cwd=project).returncode == 0
    assert (project / "specs" / "real" / "daily.yaml").is_file()


def test_new_refuses_a_dangling_link_where_the_spec_would_go(project: Path, elsewhere: Path) -> None:
    (project / "specs" / "daily.yaml").symlink_to(elsewhere / "daily.yaml")
    proc = run_cli("new", "daily", cwd=project)
    assert proc.returncode == 1
    assert "already exists" in proc.stderr
    assert files_in(elsewhere) == []


# ------------------------------------------------------------------ spec discovery


@pytest.fixture
def linked_specs(project: Path) -> Path:
    """specs/linked -> outside/, a folder holding a spec; and a spec that belongs."""
    (project / "outside").mkdir()
    (project / "outside" / "secret.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", "secret"))
    (project / "specs" / "linked").symlink_to(project / "outside", target_is_directory=True)
    (project / "specs" / "ok.yaml").write_text(MINIMAL_SPEC)
    return project


def test_a_symlinked_folder_in_the_specs_folder_is_not_entered(linked_specs: Path) -> None:
    proc = run_cli("validate", "-v", cwd=linked_specs)
    assert proc.returncode == 0, proc.stderr
    assert "checked 1 spec" in proc.stderr, proc.stderr


@pytest.mark.parametrize("named", ["specs/linked/secret.yaml", "specs/linked", "./specs/linked/./secret.yaml"])
def test_a_spec_named_through_a_symlinked_folder_is_refused(linked_specs: Path, named: str) -> None:
    proc = run_cli("compile", "--format", "json", named, cwd=linked_specs)
    [d] = json.loads(proc.stdout)
    assert (proc.returncode, d["code"], d["line"]) == (1, "DF001", 1)
    assert "outside the specs folder" in d["message"]
    assert "secret" not in d["message"]
    assert files_in(linked_specs / "generated_dags") == []


def test_a_symlink_loop_in_the_specs_folder_is_skipped_not_a_crash(project: Path) -> None:
    (project / "specs" / "loop.yaml").symlink_to("loop.yaml")
    (project / "specs" / "loop.sql").symlink_to("loop.sql")
    (project / "specs" / "ok.yaml").write_text(MINIMAL_SPEC)
    proc = run_cli("validate", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "checked 1 spec" in proc.stderr, proc.stderr
