"""The benchmark's smoke run: tiny sizes, one run, our tool and hand-written DAGs only.

It keeps ``bench/run.py`` from rotting: every section runs for real (subprocess
validate/compile, a real Airflow DagBag fill) and the table must carry every row
with numbers that parse. No timing is asserted: a slow machine is not a failure.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MEASUREMENT_IDS = [
    "validate.floor",
    "validate.ours",
    "compile.small",
    "compile.large",
    "compile.noop",
    "compile.touch_one",
    "parse.ours",
    "parse.hand",
    "parse.ours_cold",
    "parse.hand_cold",
    "scale.validate",
    "scale.compile",
    "scale.parse_ours",
    "scale.parse_hand",
]
RATIO_IDS = [
    "validate.ours_vs_floor",
    "compile.growth",
    "compile.noop_vs_full",
    "compile.touch_vs_full",
    "parse.ours_vs_hand",
    "parse.ours_vs_hand_cold",
    "scale.ours_vs_hand",
]
HOSTILE_PAIRS = [
    "tasks",
    "deep",
    "one_char",
    "newlines",
    "pipes",
    "quotes",
    "braces",
    "non_ascii",
    "long_words",
    "url_like",
]
MEASUREMENT_IDS += [
    f"hostile.{name}.{size}.{command}"
    for name in HOSTILE_PAIRS
    for size in ("big", "small")
    for command in ("validate", "compile")
]
RATIO_IDS += [f"hostile.{name}.{command}" for name in HOSTILE_PAIRS for command in ("validate", "compile")]


def bench_examples() -> list[str]:
    """bench/examples.py's EXAMPLES, read without importing the benchmark's modules."""
    tree = ast.parse((ROOT / "bench" / "examples.py").read_text(encoding="utf-8"))
    [value] = [n.value for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "EXAMPLES"]
    return list(ast.literal_eval(value))


EXAMPLES = bench_examples()
MEASUREMENT_IDS += [
    f"examples.{name}.{way}{cold}" for name in EXAMPLES for way in ("ours", "hand") for cold in ("", "_cold")
]
RATIO_IDS += [f"examples.{name}.ours_vs_hand{cold}" for name in EXAMPLES for cold in ("", "_cold")]
GOAL_IDS = ["validate.ours_time", "compile.large_time"]
PEER_IDS = ["validate.dag_factory_lint", "validate.check_jsonschema", "validate.ours_lean", "parse.dag_factory"]

# bench/run.py --smoke parses DAG files in a real Airflow DagBag.
pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def smoke_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("bench-work")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--work", str(work)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def rows(text: str) -> dict[str, list[str]]:
    """Table rows keyed by their `id` cell, each as the list of its other cells."""
    out = {}
    for line in text.splitlines():
        found = re.match(r"\| `([\w.]+)` \|(.*)\|$", line)
        if found:
            out[found.group(1)] = [cell.strip() for cell in found.group(2).split("|")]
    return out


def test_every_measurement_row_has_parsable_seconds(smoke_output: str) -> None:
    table = rows(smoke_output)
    for row_id in MEASUREMENT_IDS:
        assert row_id in table, f"missing row {row_id}"
        median, low, high, rss = (float(cell) for cell in table[row_id][1:5])
        assert 0 < low <= median <= high, row_id
        assert rss > 0, row_id


def test_every_ratio_row_has_parsable_ratios(smoke_output: str) -> None:
    table = rows(smoke_output)
    for row_id in RATIO_IDS:
        assert row_id in table, f"missing ratio {row_id}"
        median, low, high = (float(cell.rstrip("x")) for cell in table[row_id][1:4])
        assert 0 < low <= median <= high, row_id


def test_goal_rows_say_whether_met(smoke_output: str) -> None:
    table = rows(smoke_output)
    examples = [f"examples.{name}.ours_vs_hand" for name in EXAMPLES]
    for row_id in GOAL_IDS + [f"hostile.{name}.compile" for name in HOSTILE_PAIRS] + examples:
        assert table[row_id][-1] in {"yes", "**no**"}, row_id


def test_smoke_measures_no_peer_and_says_so(smoke_output: str) -> None:
    table = rows(smoke_output)
    assert not [row_id for row_id in PEER_IDS if row_id in table]
    assert "peers: not measured" in smoke_output


def test_the_examples_section_covers_the_shipped_examples_of_issue_16(smoke_output: str) -> None:
    """Every example named is a shipped spec with a hand-written twin, and the section says it
    compared their DAGs before timing them (it raises when they differ)."""
    assert {"grouped_pipeline", "setup_teardown", "branching"} <= set(EXAMPLES)
    for name in EXAMPLES:
        assert (ROOT / "specs" / f"{name}.yaml").is_file(), name
        assert (ROOT / "bench" / "hand_written" / f"{name}.py").is_file(), name
    assert "compared equal" in smoke_output


def test_importtime_breakdown_shows_validate_never_imports_airflow_or_jinja2(smoke_output: str) -> None:
    assert "Airflow or Jinja2 imported: neither" in smoke_output
    assert re.search(r"\| `dagfactory` \| \d+ \| \d+% \|", smoke_output)
