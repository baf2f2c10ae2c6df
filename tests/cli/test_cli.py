"""The command line as a user runs it: exit codes, output shape, no tracebacks."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

import dagfactory
from dagfactory.check.schema import build_schema, schema_json

from ..conftest import MINIMAL_SPEC, REPO, run_cli


def test_version_is_the_package_metadata_version():
    # One source for the version: the installed distribution's metadata (pyproject's `version`).
    proc = run_cli("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"dagfactory, version {importlib.metadata.version('dagfactory')}\n"
    assert not hasattr(dagfactory, "__version__")


def test_validate_shipped_specs_exits_0():
    proc = run_cli("validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the macros example's password-like macro is warned about (on purpose), nothing else
    assert proc.stdout.startswith("specs/ex_user_defined_macros.yaml:13:3: warning[DF209]")
    assert proc.stdout.count("warning[") == 1
    assert "0 errors, 1 warning" in proc.stderr


def test_validate_reports_every_problem_with_position_and_exits_1(project: Path):
    (project / "specs" / "bad.yaml").write_text(MINIMAL_SPEC.replace("schedule:", "schedul:") + "catchup: yes\n")
    proc = run_cli("validate", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "specs/bad.yaml:5:1: error[DF101]: the spec: unknown key 'schedul'",
        "  hint: did you mean 'schedule'?",
        "specs/bad.yaml:10:10: error[DF103]: catchup must be true or false, not string 'yes'",
        "  hint: YAML 1.2: booleans are only true and false",
    ]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_json_and_github_formats(project: Path):
    (project / "specs" / "bad.yaml").write_text(MINIMAL_SPEC.replace("empty", "emty"))
    data = json.loads(run_cli("validate", "--format", "json", cwd=project).stdout)
    assert data == [
        {
            "path": "specs/bad.yaml",
            "line": 9,
            "column": 15,
            "code": "DF104",
            "message": "unknown operator 'emty'",
            "severity": "error",
            "hint": "did you mean 'empty'?",
        }
    ]
    github = run_cli("validate", "--format", "github", cwd=project).stdout.strip()
    assert github == (
        "::error file=specs/bad.yaml,line=9,col=15,title=dagfactory DF104::[DF104] unknown operator "
        "'emty' (hint: did you mean 'empty'?)"
    )


@pytest.mark.parametrize("args", [["validate", "nope/"], ["compile", "--format", "xml"], ["frobnicate"]])
def test_bad_usage_exits_2(project: Path, args):
    proc = run_cli(*args, cwd=project)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_missing_default_specs_folder_is_usage_error(tmp_path: Path):
    proc = run_cli("validate", cwd=tmp_path)
    assert proc.returncode == 2
    assert "specs" in proc.stderr


def test_compile_writes_mirrored_paths_then_reports_unchanged(project: Path):
    (project / "specs" / "marketing").mkdir()
    (project / "specs" / "marketing" / "daily_sales.yaml").write_text(MINIMAL_SPEC)
    first = run_cli("compile", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "1 written, 0 unchanged, 0 removed, 0 errors, 0 warnings (" in first.stderr
    assert (project / "generated_dags" / "marketing" / "daily_sales.py").is_file()
    second = run_cli("compile", cwd=project)
    assert "0 written, 1 unchanged" in second.stderr


def test_compile_writes_nothing_when_any_spec_has_an_error(project: Path):
    (project / "specs" / "good.yaml").write_text(MINIMAL_SPEC)
    (project / "specs" / "bad.yaml").write_text(MINIMAL_SPEC.replace("owner: data-eng\n", ""))
    proc = run_cli("compile", cwd=project)
    assert proc.returncode == 1
    assert "error[DF102]" in proc.stdout
    assert list((project / "generated_dags").iterdir()) == []


def test_compile_out_option(project: Path, tmp_path: Path):
    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    out = tmp_path / "elsewhere"
    assert run_cli("compile", "--out", str(out), cwd=project).returncode == 0
    assert (out / "a.py").is_file()
    assert not (project / "generated_dags" / "a.py").exists()


def test_compile_refuses_to_overwrite_a_hand_written_file(project: Path):
    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    (project / "generated_dags" / "a.py").write_text("# hand-written\n")
    proc = run_cli("compile", cwd=project)
    assert proc.returncode == 1
    assert "error[DF401]" in proc.stdout
    assert (project / "generated_dags" / "a.py").read_text() == "# hand-written\n"


def test_check_detects_missing_stale_and_orphaned_files(project: Path):
    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    missing = run_cli("compile", "--check", cwd=project)
    assert missing.returncode == 1
    assert "+++ b/generated_dags/a.py" in missing.stdout
    assert not (project / "generated_dags" / "a.py").exists()
    run_cli("compile", cwd=project)
    assert run_cli("compile", "--check", cwd=project).returncode == 0
    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC.replace("A test pipeline", "Changed"))
    stale = run_cli("compile", "--check", cwd=project)
    assert stale.returncode == 1
    assert '+    description="Changed",' in stale.stdout
    (project / "specs" / "a.yaml").unlink()
    orphan = run_cli("compile", "--check", cwd=project)
    assert orphan.returncode == 1
    assert "+++ /dev/null" in orphan.stdout
    assert (project / "generated_dags" / "a.py").exists()


def test_project_own_generated_dags_are_current():
    proc = run_cli("compile", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_command_matches_committed_schema():
    assert run_cli("schema").stdout == schema_json()
    assert (REPO / "schemas" / "pipeline.schema.json").read_text() == schema_json()


def test_every_schema_property_has_a_description():
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not isinstance(sub, dict) or not sub.get("description"):
                    missing.append(f"{path}/{name}")
            for key, value in node.items():
                if key != "if":  # an `if` only selects a branch; editors show the `then` schema
                    walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}/{i}")

    walk(build_schema(), "#")
    assert missing == []


def test_every_command_help_has_an_example():
    from dagfactory.cli import main

    assert len(main.commands) >= 6
    for command in main.commands:
        proc = run_cli(command, "--help")
        assert proc.returncode == 0, command
        assert "Example:" in proc.stdout, command


def test_a_compiler_bug_is_reported_as_df900_and_nothing_is_written(project: Path, monkeypatch, capsys):
    """If escaping ever failed, the ast.parse guard must turn it into a report, not a file."""
    import sys

    from dagfactory import cli
    from dagfactory.emit import pycode

    (project / "specs" / "a.yaml").write_text(MINIMAL_SPEC)
    monkeypatch.chdir(project)
    monkeypatch.setattr(pycode, "string_literal", lambda value: pycode.PyCode(repr(value)[:-1]))  # broken quoting
    monkeypatch.setattr(sys, "argv", ["dagfactory", "compile", "--no-cache"])
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert "error[DF900]: internal compiler error: RenderError: generated code does not parse" in err
    assert "Traceback" not in err
    assert list((project / "generated_dags").iterdir()) == []


def test_readme_documents_every_catalog_operator():
    from dagfactory.operators import CATALOG

    readme = (REPO / "README.md").read_text()
    assert [name for name in CATALOG if f"`{name}`" not in readme] == []
