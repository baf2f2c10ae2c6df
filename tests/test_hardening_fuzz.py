"""Fuzz the loader, validator and graph stages: any bytes in, diagnostics out, never an exception.

Two generators: raw bytes (mostly garbage, exercises decoding and the YAML scanner) and text
assembled from YAML tokens and spec keys (gets much deeper: mappings, anchors, tags, edges).
Fixed seed (derandomize) so a failure reproduces; examples that ever failed live in
tests/regressions/ and are replayed by test_hardening_regressions.py.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from dagfactory.check.project import check_spec
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.discover import SpecFile
from dagfactory.load.document import load_bytes
from tests.conftest import property_settings

SETTINGS = property_settings("DAGFACTORY_FUZZ_EXAMPLES", 500)

TOKENS = [
    "\n", "\n  ", "\n    ", "\n      ", " ", "\t", ": ", "- ", "? ", "[", "]", "{", "}", ", ", "'", '"', "#",
    "&a ", "*a", "&b ", "*b", "!!str ", "!!int ", "!!python/object ", "!x ", "<<: ", "---\n", "...\n", "|\n  ",
    ">-\n  ", "%YAML 1.2\n", "\\", "\\x00", "\\ud800", "yes", "null", "~", "true", "0o17", "0x1F", "1e999",
    "-.inf", ".nan", "2024-01-01", "2024-13-45T99:99", "@daily", "0 6 * * *", "61 * * * *", "1h30m", "PT5M",
    "dag_id", "description", "owner", "business_owner", "name", "schedule", "start_date", "end_date", "timezone",
    "Asia/Seoul", "Mars/Olympus", "catchup", "tags", "default_args", "retries", "retry_delay", "macros",
    "params", "lineage", "inputs", "outputs", "uri", "doc_md", "tasks", "operator", "bash", "python", "empty",
    "a.b.C", "bash_command", "python_callable", "m:f", "edges", "t1", "t2", " >> ", "[t1, t2]", "every",
    "assets", "{{ ds }}", "\x85", "\u2028", "😀", "9" * 120,
]  # fmt: skip

yamlish = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
spec_prefix = "description: d\nowner: o\nbusiness_owner: {name: n}\nschedule: '@daily'\nstart_date: 2024-01-01\n"


def assert_clean(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.line >= 1
        assert d.column >= 1
        assert d.format_text()  # a diagnostic always renders
        assert d.hint or not d.is_error, f"an error without a hint (what to do): {d.format_text()}"


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_any_bytes_load_to_data_or_diagnostics(raw: bytes) -> None:
    doc, diagnostics = load_bytes(raw, "fuzz.yaml")
    assert_clean(diagnostics)
    assert doc is not None or diagnostics


def test_yamlish_text_goes_through_every_check_stage(tmp_path: Path) -> None:
    path = tmp_path / "fuzz.yaml"
    spec = SpecFile(path, "fuzz.yaml", PurePosixPath("fuzz.yaml"))
    stages_reached: set[str] = set()

    @SETTINGS
    @given(text=yamlish, prefixed=st.booleans())
    def check(text: str, prefixed: bool) -> None:
        path.write_bytes(((spec_prefix + "tasks:\n  ") if prefixed else "").encode() + text.encode("utf-8", "replace"))
        result = check_spec(spec)  # load -> validate -> graph; an escaping exception fails the test
        assert_clean(result.diagnostics)
        stages_reached.add("graph" if result.graph is not None else "validate" if result.document else "load")

    check()
    assert stages_reached == {"load", "validate", "graph"}  # the fuzzer got past each stage
