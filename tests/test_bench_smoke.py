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
    "bigspec.validate",
    "bigspec.compile",
    "bigspec.parse_ours",
    "bigspec.parse_hand",
]
RATIO_IDS = [
    "validate.ours_vs_floor",
    "compile.growth",
    "compile.noop_vs_full",
    "compile.touch_vs_full",
    "parse.ours_vs_hand",
    "parse.ours_vs_hand_cold",
    "bigspec.ours_vs_hand",
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


# ----------------------------------------------------------------------------- section 6, scale

SCALE_SIZES = (3, 12)  # SMOKE's repo_small and repo_large
SCALE_KINDS = ("compile", "noop", "touch_one", "validate_cold", "validate_warm")


def scale_ids(tag: str = "") -> tuple[list[str], list[str], list[str]]:
    """Measurement, ratio and goal ids of the scale section (``tag``: "_jobs1" for the --jobs 1 rows)."""
    small, large = SCALE_SIZES
    measured = [f"scale.{n}{tag}.{kind}" for n in SCALE_SIZES for kind in SCALE_KINDS]
    ratios = [f"scale.growth{tag}.{kind}" for kind in SCALE_KINDS]
    ratios += [f"scale.{n}{tag}.{what}" for n in (small, large) for what in ("noop_vs_full", "touch_vs_full")]
    ratios += [f"scale.{n}{tag}.warm_vs_cold" for n in (small, large)]
    goals = [f"scale.memory{tag}.{kind}" for kind in ("compile", "validate_cold")]
    return measured, ratios, goals


def check_scale_table(text: str, tag: str = "") -> None:
    table = rows(text)
    measured, ratios, goals = scale_ids(tag)
    for row_id in measured:
        assert row_id in table, f"missing row {row_id}"
        median, low, high, rss = (float(cell) for cell in table[row_id][1:5])
        assert 0 < low <= median <= high, row_id
        assert rss > 0, row_id
    for row_id in ratios:
        assert row_id in table, f"missing ratio {row_id}"
        assert float(table[row_id][1].rstrip("x")) > 0, row_id
    for row_id in [*goals, f"scale.growth{tag}.compile", f"scale.{SCALE_SIZES[1]}{tag}.warm_vs_cold"]:
        assert table[row_id][-1] in {"yes", "**no**"}, row_id


def test_the_scale_section_runs_only_when_named(smoke_output: str, tmp_path: Path) -> None:
    assert "scale." not in smoke_output  # minutes at full size: not in the default run
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--only", "scale", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    check_scale_table(done.stdout)
    assert "no `--jobs` option" in done.stdout or "_jobs1" in done.stdout


SHIM = """\
#!{python}
# dagfactory with a --jobs option: records each call, drops --jobs N, runs the real one
import os, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
if "--help" in args:
    sys.stdout.write("  --jobs N  processes\\n")
    sys.exit(0)
if "--jobs" in args:
    at = args.index("--jobs")
    del args[at : at + 2]
os.execv({real!r}, [{real!r}, *args])
"""


def test_the_scale_section_adds_jobs_1_rows_when_the_cli_takes_jobs(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import scale
        import sections
    finally:
        sys.path.remove(str(ROOT / "bench"))
    log = tmp_path / "calls.log"
    shim = tmp_path / "dagfactory"
    real = str(Path(sys.executable).parent / "dagfactory")
    shim.write_text(SHIM.format(python=sys.executable, log=str(log), real=real))
    shim.chmod(0o755)

    class WithJobs(sections.Context):
        @property
        def dagfactory(self) -> str:
            return str(shim)

    ctx = WithJobs(tmp_path / "work", sections.SMOKE, 1, 0, peers=False)
    section = scale.scale_section(ctx)
    from report import render

    text = render([], [section])
    check_scale_table(text)
    check_scale_table(text, "_jobs1")
    calls = log.read_text().splitlines()
    timed = [c for c in calls if "--help" not in c]
    assert len(timed) == 2 * len(SCALE_SIZES) * len(SCALE_KINDS)
    with_jobs = [c for c in timed if "--jobs 1" in c]
    assert len(with_jobs) == len(timed) // 2
    assert {c.split()[0] for c in with_jobs} == {"compile", "validate"}
