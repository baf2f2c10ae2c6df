"""Every invalid fixture names, in `# expect:` lines, exactly the diagnostics it must produce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dagfactory.check import check_project
from dagfactory.check.spec import check_document
from dagfactory.diagnostics import CODES, Diagnostic
from dagfactory.load.discover import discover
from dagfactory.load.document import load_text

from ..conftest import FIXTURES, MINIMAL_SPEC, REPO

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (DF\d{3}) (\d+):(\d+)$", re.M)


def results_for(paths: list[Path]):
    specs = discover(paths, FIXTURES, REPO)
    return check_project(specs).results


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_reports_exactly_its_expected_errors(path: Path):
    expected = sorted((code, int(line), int(col)) for code, line, col in EXPECT.findall(path.read_text()))
    assert expected, f"{path.name} has no `# expect:` line"
    (result,) = results_for([path])
    got = sorted((d.code, d.line, d.column) for d in result.diagnostics)
    assert got == expected
    for diagnostic in result.diagnostics:
        assert diagnostic.path == f"tests/fixtures/invalid/{path.name}"
        assert diagnostic.message
        assert diagnostic.severity == "error"


@pytest.mark.parametrize("path", VALID + sorted((REPO / "specs").glob("*.yaml")), ids=lambda p: p.stem)
def test_valid_specs_have_no_diagnostics(path: Path):
    (result,) = results_for([path])
    found = [(d.code, d.line, d.column, d.severity) for d in result.diagnostics]
    # the course's macros example keeps its password-like macro on purpose, and is warned about it
    assert found == ([("DF209", 13, 3, "warning")] if path.name == "ex_user_defined_macros.yaml" else [])


def test_invalid_fixtures_cover_every_spec_code():
    covered = {code for p in INVALID for code, _, _ in EXPECT.findall(p.read_text())}
    # DF004 (limits) is tested in test_loader, DF207 (a warning) below, DF306 (a warning) in test_branching
    spec_codes = {c for c in CODES if c < "DF400" and c not in ("DF004", "DF207", "DF209", "DF306")}
    assert spec_codes - covered == set()


def diagnostics(text: str) -> list[Diagnostic]:
    doc, problems = load_text(text, "s.yaml")
    assert doc is not None, problems
    return problems + check_document(doc)


BASE = "description: x\nowner: me\nbusiness_owner: {name: A}\nstart_date: 2024-01-01\n"


def test_did_you_mean_hints():
    found = diagnostics(BASE + "schedul: '@daily'\ntasks:\n  a: {operator: bash, bash_comand: x}\n")
    hints = {d.message: d.hint for d in found}
    assert hints["the spec: unknown key 'schedul'"] == "did you mean 'schedule'?"
    assert hints["task 'a': unknown argument 'bash_comand' for operator 'bash'"] == "did you mean 'bash_command'?"
    # the missing `schedule` and `bash_command` are explained by the typos: not reported twice
    assert all(d.code != "DF102" for d in found)


def test_everything_is_reported_not_only_the_first():
    found = diagnostics(
        "description: 3\nowner: [me]\nbusiness_owner: {name: A, mail: x}\nschedule: '61 * * * *'\n"
        "start_date: 2024-01-01\ntimezone: Mars/Base\ntasks:\n"
        "  a: {operator: bsh}\n  b: {operator: empty, retries: -1}\n"
    )
    assert sorted((d.code, d.line) for d in found) == [
        ("DF101", 3), ("DF103", 1), ("DF103", 2), ("DF104", 8), ("DF106", 9), ("DF201", 4), ("DF202", 6),
    ]  # fmt: skip


def test_class_path_operator_passes_arguments_through():
    found = diagnostics(
        BASE + "schedule: null\ntasks:\n  a:\n    operator: my.pkg.MyOperator\n    anything: [1, {x: y}]\n"
        "    retries: 2\n"
    )
    assert found == []
    bad = diagnostics(
        BASE + "schedule: null\ntasks:\n  a:\n    operator: my.pkg.MyOperator\n    not-a-name: 1\n"
        "    class: 2\n    retries: two\n"
    )
    assert sorted((d.code, d.line) for d in bad) == [("DF103", 11), ("DF105", 9), ("DF105", 10)]


def test_validating_valid_specs_imports_only_what_it_needs():
    """What pre-commit pays for: no Airflow or Jinja2 ever; and for valid specs (all the
    shipped ones) no jsonschema (dagfactory.check.quickcheck proves them valid) and no networkx
    (the standard library proves the graphs acyclic; the shop specs feed each other). A cold run
    (--no-cache): a cache would skip the checks whose imports this counts, and none is left in
    the checkout."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom dagfactory.cli import main\n"
        "try:\n    main(['validate', '--no-cache', 'specs'])\n"
        "except SystemExit as exit:\n    print('exit', int(exit.code))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'airflow', 'jinja2', 'jsonschema', 'networkx'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.stdout.splitlines()[-2:] == ["exit 0", "[]"], proc.stdout + proc.stderr


def test_deprecated_email_arguments_are_warnings_not_errors():
    found = diagnostics(
        BASE + "schedule: null\ndefault_args: {email_on_failure: true}\n"
        "tasks:\n  a: {operator: empty, email: [x@example.com]}\n"
    )
    assert sorted((d.code, d.severity, d.line) for d in found) == [("DF207", "warning", 6), ("DF207", "warning", 8)]
    assert all("SmtpNotifier" in (d.hint or "") for d in found)


def test_a_trailing_newline_never_passes_a_pattern():
    found = diagnostics(BASE + 'schedule: null\ndag_id: "ok\\n"\ntasks:\n  "t\\n": {operator: empty}\n')
    assert sorted((d.code, d.line) for d in found) == [("DF105", 6), ("DF105", 8)]


def test_secrets_written_into_a_spec_are_warned_about():
    found = diagnostics(
        BASE + "schedule: null\n"
        "macros: {db_password: hunter2, api_key: '{{ var.value.api_key }}', max_tokens: 100}\n"
        "params: {conn: 'postgresql://etl:s3cret@db:5432/x', key_id: AKIAABCDEFGHIJKLMNOP, pw: 1234}\n"
        "tasks:\n  a: {operator: bash, bash_command: echo, env: {TOKEN: abc}}\n"
    )
    assert sorted((d.code, d.severity, d.line, d.column, d.message) for d in found) == [
        ("DF209", "warning", 6, 10, "'db_password' looks like a secret written into the spec"),
        ("DF209", "warning", 7, 16, "this value looks like a URI with a password"),
        ("DF209", "warning", 7, 61, "this value looks like an AWS access key id"),
        ("DF209", "warning", 7, 83, "'pw' looks like a secret written into the spec"),
        ("DF209", "warning", 9, 49, "'TOKEN' looks like a secret written into the spec"),
    ]
    assert all("Variable" in (d.hint or "") for d in found)


def test_discovery_finds_specs_skips_the_rest_and_reads_each_file_once(tmp_path: Path):
    specs, outside = tmp_path / "specs", tmp_path / "outside"
    files = ["a.yaml", "sub/b.yml", "sub/deeper/c.yaml", "_defaults.yaml", "notes.txt", "a.yaml.bak"]
    files += [".hidden.yaml", ".git/d.yaml", "sub/.cache/e.yaml"]
    for name in files:
        (specs / name).parent.mkdir(parents=True, exist_ok=True)
        (specs / name).write_text(MINIMAL_SPEC)
    outside.mkdir()
    (outside / "f.yaml").write_text(MINIMAL_SPEC)
    (specs / "linked_folder").symlink_to(outside, target_is_directory=True)  # not entered
    (specs / "z_same_as_a.yaml").symlink_to(specs / "a.yaml")  # one file, found once
    (specs / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    found = discover([specs], specs, tmp_path)
    assert [(s.relative.as_posix(), s.display, s.escapes) for s in found] == [
        ("a.yaml", "specs/a.yaml", False),
        ("sub/b.yml", "specs/sub/b.yml", False),
        ("sub/deeper/c.yaml", "specs/sub/deeper/c.yaml", False),
    ]
    named = discover([specs / "sub" / "b.yml", outside / "f.yaml"], specs, tmp_path)
    assert [(s.relative.as_posix(), s.display) for s in named] == [
        ("f.yaml", "outside/f.yaml"),  # named from outside the specs folder: mirrored by its name
        ("sub/b.yml", "specs/sub/b.yml"),
    ]
