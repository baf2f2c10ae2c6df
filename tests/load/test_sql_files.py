"""A `.sql` file is embedded exactly: its bytes as UTF-8, a leading BOM dropped, CRLF and CR kept,
in the generated file as escapes, and in Airflow as the same string."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.airflow.harness import load_dagbag

from ..conftest import run_cli
from .test_containment import sql_spec

# A BOM, CRLF, a lone CR, a BOM that is not leading (kept), a trailing LF.
RAW = b"\xef\xbb\xbfSELECT 1\r\nFROM orders\rWHERE note = '\xef\xbb\xbf'\r\n  AND x = 1\n"
EXPECTED = "SELECT 1\r\nFROM orders\rWHERE note = '\ufeff'\r\n  AND x = 1\n"


def sql_keyword(source: str) -> str:
    """The `sql=` value of the generated file, as Python reads it."""
    values = [
        kw.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "sql"
    ]
    [value] = values
    return ast.literal_eval(value)


@pytest.fixture
def compiled(project: Path) -> Path:
    (project / "specs" / "queries").mkdir()
    (project / "specs" / "queries" / "load.sql").write_bytes(RAW)
    (project / "specs" / "crlf_sql.yaml").write_text(sql_spec("queries/load.sql"))
    proc = run_cli("compile", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return project / "generated_dags" / "crlf_sql.py"


def test_the_generated_file_holds_the_bytes_exactly_as_escapes(compiled: Path) -> None:
    raw = compiled.read_bytes()
    assert b"\r" not in raw
    assert b"\xef\xbb\xbf" not in raw  # escaped, never raw, in the DAG file
    text = raw.decode("utf-8")
    assert "SELECT 1\\r\n" in text
    assert "FROM orders\\rWHERE" in text
    assert sql_keyword(text) == EXPECTED


def test_a_second_compile_and_check_agree_byte_for_byte(compiled: Path) -> None:
    before = compiled.read_bytes()
    project = compiled.parent.parent
    for args in (["compile", "--no-cache"], ["compile", "--check"]):
        proc = run_cli(*args, cwd=project)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert compiled.read_bytes() == before


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [(b"SELECT '\xff'\n", "is not UTF-8"), ("SELECT 1\r\n".encode("utf-16"), "is not UTF-8")],
)
def test_a_file_that_is_not_utf8_is_df208_at_the_value(project: Path, raw: bytes, fragment: str) -> None:
    (project / "specs" / "load.sql").write_bytes(raw)
    (project / "specs" / "etl.yaml").write_text(sql_spec("load.sql"))
    proc = run_cli("validate", "--format", "json", cwd=project)
    [d] = json.loads(proc.stdout)
    assert (proc.returncode, d["line"], d["column"], d["code"]) == (1, 11, 10, "DF208")
    assert fragment in d["message"]


@pytest.mark.airflow
def test_airflow_receives_the_same_string(compiled: Path) -> None:
    dagbag = load_dagbag(compiled.parent)
    assert dagbag["import_errors"] == {}
    assert dagbag["dags"]["crlf_sql"]["tasks"]["load"]["templated"]["sql"] == EXPECTED


def test_a_compile_reads_each_referenced_file_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """validate's check, the secrets lint and the model embedding the text share one read."""
    from dagfactory.emit import compile_specs
    from dagfactory.load import files
    from dagfactory.load.config import Config
    from dagfactory.load.discover import discover

    specs = project / "specs"
    (specs / "queries").mkdir()
    (specs / "queries" / "load.sql").write_bytes(RAW)
    (specs / "etl.yaml").write_text(sql_spec("queries/load.sql"))
    (specs / "etl_again.yaml").write_text(sql_spec("queries/load.sql"))  # another spec reads it for itself
    reads: list[Path] = []
    real_read = files.read_regular

    def counted(path: Path, limit: int = files.MAX_FILE_BYTES) -> bytes | None:
        reads.append(path)
        return real_read(path, limit)

    monkeypatch.setattr(files, "read_regular", counted)
    results = compile_specs(discover([specs], specs, project), Config(specs=specs))
    assert [r.text is not None for r in results] == [True, True]
    assert all(sql_keyword(r.text or "") == EXPECTED for r in results)
    assert reads.count((specs / "queries" / "load.sql").resolve()) == 2
