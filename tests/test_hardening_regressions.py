"""Replay every input that ever broke the hardening promises (tests/regressions/*.yaml).

Each file's first line states what must happen now: ``# expect: ok`` (compiles, values exact)
or ``# expect: CODE line N: words`` (exactly one error, at that line, saying those words).
Add a file here for every failing example a property test or fuzzer finds.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path, PurePosixPath

import pytest

from dagfactory.diagnostics import has_errors
from dagfactory.emit import compile_specs
from dagfactory.load.discover import SpecFile

CORPUS = Path(__file__).resolve().parent / "regressions"
EXPECT = re.compile(r"^# expect: (?:(?P<ok>ok)|(?P<code>DF\d{3}) line (?P<line>\d+): (?P<words>.+))$")
CASES = sorted(CORPUS.glob("*.yaml"))


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 7


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_regression_case(case: Path, tmp_path: Path) -> None:
    first = case.read_bytes().split(b"\n", 1)[0].decode()
    expect = EXPECT.match(first)
    assert expect, f"{case.name}: first line must be '# expect: ...'"
    spec_path = tmp_path / case.name
    shutil.copyfile(case, spec_path)
    [result] = compile_specs([SpecFile(spec_path, case.name, PurePosixPath(case.name))])
    errors = [d for d in result.diagnostics if d.is_error]
    if expect["ok"]:
        assert not has_errors(result.diagnostics), errors
        assert result.text is not None
        assert result.document is not None
        strings = {n.value for n in ast.walk(ast.parse(result.text)) if isinstance(n, ast.Constant)}
        assert all(v in strings for v in result.document.data.get("params", {}).values())
    else:
        assert len(errors) == 1, errors
        assert (errors[0].code, errors[0].line) == (expect["code"], int(expect["line"]))
        assert expect["words"] in errors[0].message
