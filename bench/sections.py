"""The four measurements of issue 8, each returning a report Section.

1. validate latency of one small spec, as whole processes, against the floor and the peers;
2. compile throughput and incremental recompiles;
3. Airflow DagBag fill time of the output vs hand-written Python vs dag-factory at parse time;
4. one 2,000-task spec end to end (``--only bigspec``).

Sections 5 (hostile sizes) and 6 (repositories of 1,000 and 10,000 specs) are in
:mod:`hostile` and :mod:`scale`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gen
from peers import CHECK_JSONSCHEMA, DAG_FACTORY, OURS_LEAN
from report import Goal, Measurement, RatioRow, Section
from timing import CommandFailed, Measure, Run, command_measure, interleaved, last_json_line, pairwise, run_command

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "pipeline.schema.json"
FILL_SCRIPT = Path(__file__).resolve().parent / "dagbag_fill.py"


@dataclass(frozen=True)
class Sizes:
    compile_small: int
    compile_large: int
    tasks_per_spec: int
    parse_dags: int
    parse_tasks: int
    bigspec_tasks: int
    hostile_tasks: int  # the big spec of many tasks (section 5); its pair has a tenth
    hostile_bytes: int  # the big spec of long text (section 5); its pair has a tenth
    repo_small: int  # the scale section: a repository of this many specs ...
    repo_large: int  # ... and one of this many (ten times as many in a full run)
    repo_tasks: int  # tasks per spec in both
    example_copies: int  # copies of each issue-16 example per DagBag (the examples section)


FULL = Sizes(100, 1000, 20, 200, 10, 2000, 15_000, 960_000, 1000, 10_000, 20, 100)
QUICK = Sizes(5, 20, 20, 10, 10, 100, 1_500, 96_000, 20, 200, 20, 10)
SMOKE = Sizes(3, 6, 4, 3, 4, 30, 300, 20_000, 3, 12, 4, 2)


@dataclass(frozen=True)
class Context:
    work: Path
    sizes: Sizes
    runs: int
    warmup: int
    peers: bool  # False in --smoke: only our tool, the floor and hand-written Python

    @property
    def python(self) -> str:
        return sys.executable

    @property
    def dagfactory(self) -> str:
        return str(Path(sys.executable).parent / "dagfactory")

    def fresh(self, name: str) -> Path:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def project(self, name: str) -> Path:
        """A fresh folder that is a dagfactory project of its own (a ``dagfactory.toml``): the
        commands run in it find that file, not the checkout's pyproject.toml above ``bench/.work``,
        so its settings and its ``.dagfactory_cache/`` are the folder's."""
        path = self.fresh(name)
        (path / "dagfactory.toml").write_text('specs = "specs"\n')
        return path


def airflow_env(dags_folder: Path, home: Path, *, bytecode: bool = True) -> dict[str, str]:
    """An isolated Airflow config: DagBag parsing needs config, no database.

    ``bytecode``: Python's default, DAG files' bytecode cached in ``__pycache__`` after the
    first parse (what a dag-processor re-parsing unchanged files pays); else
    ``PYTHONDONTWRITEBYTECODE=1``, as many container images set: every parse compiles
    every DAG file. Set either way, never inherited from the caller's shell.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "PYTHONDONTWRITEBYTECODE"}
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="600",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        # dag-factory phones home by default; a network call is not parse cost.
        AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY="False",
        DO_NOT_TRACK="1",
        SCARF_NO_ANALYTICS="true",
    )
    return env


def fill_measure(ctx: Context, python: str, folder: Path, dags: int, tasks: int, *, bytecode: bool = True) -> Measure:
    """Time only the DagBag(...) call in a fresh process; check every DAG loaded, no import error.
    Without ``bytecode``, the folder's ``__pycache__`` is removed first (Python would still read it)."""
    home = ctx.work / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    cmd = [python, str(FILL_SCRIPT), str(folder)]

    def measure() -> tuple[float, float]:
        if not bytecode:
            for cache in folder.rglob("__pycache__"):
                shutil.rmtree(cache)
        result = run_command(cmd, env=airflow_env(folder, home, bytecode=bytecode))
        report = last_json_line(result.stdout)
        if report["import_errors"] or report["dags"] != dags or report["tasks"] != tasks:
            raise CommandFailed(f"DagBag of {folder} is not what was written: {report}")
        return report["seconds"], result.peak_rss_mib

    return measure


def _compiled_count(expected_written: int | None):
    """A check that the compile wrote what it should (0 on a no-op, 1 after touching one spec)."""

    def check(run: Run) -> None:
        found = re.search(r"(\d+) written, (\d+) unchanged", run.stderr)
        if not found or (expected_written is not None and int(found.group(1)) != expected_written):
            raise CommandFailed(f"compile did not write {expected_written} files: {run.stderr[-500:]}")

    return check


# ----------------------------------------------------------------------------- 1. validate


def importtime_breakdown(ctx: Context, spec: Path) -> list[str]:
    """Self time of every imported module summed per top-level package, largest first."""
    run = run_command([ctx.python, "-X", "importtime", "-m", "dagfactory", "validate", str(spec)], cwd=spec.parent)
    per_package: dict[str, int] = defaultdict(int)
    for line in run.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*([\w.]+)", line)
        if found:
            per_package[found.group(2).split(".")[0]] += int(found.group(1))
    total = sum(per_package.values())
    top = sorted(per_package.items(), key=lambda kv: -kv[1])[:10]
    heavy = [name for name in ("airflow", "jinja2") if name in per_package]
    lines = [
        f"Where `dagfactory validate` spends its import time (`python -X importtime`, one run, "
        f"{total / 1000:.0f} ms of imports in all; Airflow or Jinja2 imported: {', '.join(heavy) or 'neither'}):",
        "",
        "| package | self ms | share |",
        "|---|---:|---:|",
    ]
    lines += [f"| `{name}` | {us / 1000:.0f} | {us / total:.0%} |" for name, us in top]
    return lines


def validate_section(ctx: Context) -> Section:
    folder = ctx.fresh("validate")
    ours = folder / "one.yaml"
    ours.write_text(gen.spec_yaml(0, 5))
    measures = {
        "validate.floor": command_measure([ctx.python, "-c", "pass"], cwd=folder),
        "validate.ours": command_measure([ctx.dagfactory, "validate", str(ours)], cwd=folder),
    }
    if ctx.peers:
        theirs = folder / "one_dag_factory.yaml"
        theirs.write_text(gen.dag_factory_yaml(0, 5))
        lint = [str(DAG_FACTORY.script("dagfactory")), "lint", str(theirs)]
        cjs = [str(CHECK_JSONSCHEMA.script("check-jsonschema")), "--schemafile", str(SCHEMA), str(ours)]
        env = airflow_env(folder, ctx.work / "airflow-home")
        measures["validate.dag_factory_lint"] = command_measure(lint, cwd=folder, env=env)
        measures["validate.check_jsonschema"] = command_measure(cjs, cwd=folder)
        lean = [str(OURS_LEAN.script("dagfactory")), "validate", str(ours)]
        measures["validate.ours_lean"] = command_measure(lean, cwd=folder)
    series = interleaved(measures, ctx.runs, ctx.warmup)
    what = {
        "validate.floor": "`python -c pass` (the floor)",
        "validate.ours": "`dagfactory validate one.yaml` (ours)",
        "validate.dag_factory_lint": "astronomer `dagfactory lint` (dag-factory 1.1.0)",
        "validate.check_jsonschema": "`check-jsonschema --schemafile schemas/pipeline.schema.json`",
        "validate.ours_lean": "`dagfactory validate one.yaml` (ours, installed alone, as pre-commit does)",
    }
    rows = [Measurement(key, what[key], s) for key, s in series.items()]
    ours_s, floor = series["validate.ours"], series["validate.floor"]
    over_floor = ours_s.median - floor.median
    rows[1] = Measurement("validate.ours", what["validate.ours"], ours_s, f"{over_floor:.3f} s over the floor")
    ratios = [RatioRow("validate.ours_vs_floor", "ours / floor", pairwise(ours_s, floor))]
    goals = [Goal("validate.ours_time", "ours within 0.25 s", f"{ours_s.median:.3f} s", ours_s.median <= 0.25)]
    if ctx.peers:
        for key, label in (
            ("validate.dag_factory_lint", "dag-factory lint"),
            ("validate.check_jsonschema", "check-jsonschema"),
        ):
            ratio = pairwise(series[key], ours_s)
            ratios.append(
                RatioRow(f"{key}_vs_ours", f"{label} / ours", ratio, ">= 2x (clearly faster)", ratio.median >= 2)
            )
        lean = series["validate.ours_lean"]
        goals.append(
            Goal(
                "validate.ours_lean_time",
                "ours installed alone within 0.25 s",
                f"{lean.median:.3f} s",
                lean.median <= 0.25,
            )
        )
    notes = importtime_breakdown(ctx, ours)
    return Section("1. Validate latency, one small spec, whole process", rows, ratios, notes, goals)


# ----------------------------------------------------------------------------- 2. compile


def compile_section(ctx: Context) -> Section:
    small_n, large_n, tasks = ctx.sizes.compile_small, ctx.sizes.compile_large, ctx.sizes.tasks_per_spec
    folder = ctx.project("compile")
    small, large = folder / "specs_small", folder / "specs_large"
    gen.write_specs(small, small_n, tasks)
    touched = gen.write_specs(large, large_n, tasks)[large_n // 2]
    original = touched.read_text()
    out_small, out_large = folder / "out_small", folder / "out_large"

    def cmd(specs: Path, out: Path) -> list[str]:
        return [ctx.dagfactory, "compile", "--specs-dir", str(specs), "--out", str(out), str(specs)]

    def touch() -> None:  # a real edit, so exactly one output file changes
        text = touched.read_text()
        touched.write_text(original if text != original else original.replace("Benchmark pipeline", "Edited pipeline"))

    def cold(out: Path) -> Callable[[], None]:
        # a first compile: no output and no incremental-compile cache (in the project: the cwd)
        return lambda: (shutil.rmtree(out, True), shutil.rmtree(folder / ".dagfactory_cache", True))

    # One round: full compile into an empty folder, then a no-op (output current), then one edit.
    measures = {
        "compile.small": command_measure(
            cmd(small, out_small), cwd=folder, before=cold(out_small), check=_compiled_count(small_n)
        ),
        "compile.large": command_measure(
            cmd(large, out_large), cwd=folder, before=cold(out_large), check=_compiled_count(large_n)
        ),
        "compile.noop": command_measure(cmd(large, out_large), cwd=folder, check=_compiled_count(0)),
        "compile.touch_one": command_measure(cmd(large, out_large), cwd=folder, before=touch, check=_compiled_count(1)),
    }
    series = interleaved(measures, ctx.runs, ctx.warmup)
    s_small, s_large = series["compile.small"], series["compile.large"]
    rows = [
        Measurement(
            "compile.small",
            f"compile {small_n} specs x {tasks} tasks",
            s_small,
            f"{small_n / s_small.median:.0f} specs/s",
        ),
        Measurement(
            "compile.large",
            f"compile {large_n} specs x {tasks} tasks",
            s_large,
            f"{large_n / s_large.median:.0f} specs/s",
        ),
        Measurement(
            "compile.noop", f"recompile the same {large_n}, output current", series["compile.noop"], "0 files written"
        ),
        Measurement(
            "compile.touch_one",
            f"recompile {large_n} after editing one spec",
            series["compile.touch_one"],
            "1 file written",
        ),
    ]
    growth = pairwise(s_large, s_small)
    size_ratio = large_n / small_n
    noop = pairwise(series["compile.noop"], s_large)
    ratios = [
        RatioRow(
            "compile.growth",
            f"time {large_n} / time {small_n} specs",
            growth,
            f"<= {size_ratio:.0f}x (linear or better)",
            growth.median <= size_ratio,
        ),
        RatioRow("compile.noop_vs_full", "no-op recompile / full compile", noop, "< 0.10x", noop.median < 0.10),
        RatioRow(
            "compile.touch_vs_full", "one-spec recompile / full compile", pairwise(series["compile.touch_one"], s_large)
        ),
    ]
    goals = [
        Goal("compile.large_time", f"{large_n} specs in under 10 s", f"{s_large.median:.2f} s", s_large.median < 10)
    ]
    return Section("2. Compile throughput", rows, ratios, [], goals)


# ----------------------------------------------------------------------------- 3. Airflow parse cost


def compile_into(ctx: Context, specs: Path, out: Path) -> None:
    # --no-cache: setup, not a measurement; a cache would land beside the caller's project (the repo)
    run_command([ctx.dagfactory, "compile", "--no-cache", "--specs-dir", str(specs), "--out", str(out), str(specs)])
    gen.write_callables(out)


def peer_python() -> str:
    return str(DAG_FACTORY.python)


def parse_section(ctx: Context) -> Section:
    dags, tasks = ctx.sizes.parse_dags, ctx.sizes.parse_tasks
    folder = ctx.fresh("parse")
    gen.write_specs(folder / "specs", dags, tasks)
    compile_into(ctx, folder / "specs", folder / "ours")
    gen.write_hand_written(folder / "hand", dags, tasks)
    if ctx.peers:
        gen.write_dag_factory(folder / "dag_factory", dags, tasks)
    ways = ["ours", "hand", "dag_factory"] if ctx.peers else ["ours", "hand"]
    for way in ways:  # the cold runs get their own copy: the warm runs keep their bytecode
        shutil.copytree(folder / way, folder / f"{way}_cold")
    total = dags * tasks

    def python_for(way: str) -> str:
        return peer_python() if way == "dag_factory" else ctx.python

    measures = {f"parse.{way}": fill_measure(ctx, python_for(way), folder / way, dags, total) for way in ways}
    if ctx.peers:  # control: the hand-written DAGs in dag-factory's venv, to show the venvs parse alike
        measures["parse.hand_peer_venv"] = fill_measure(ctx, peer_python(), folder / "hand", dags, total)
    for way in ways:
        cold = folder / f"{way}_cold"
        measures[f"parse.{way}_cold"] = fill_measure(ctx, python_for(way), cold, dags, total, bytecode=False)
    series = interleaved(measures, ctx.runs, ctx.warmup)
    what = {
        "parse.ours": f"DagBag fill, {dags} DAGs x {tasks} tasks compiled by dagfactory",
        "parse.hand": "DagBag fill, the same DAGs hand-written in Python",
        "parse.dag_factory": "DagBag fill, astronomer dag-factory `load_yaml_dags` on the same YAML",
        "parse.hand_peer_venv": "DagBag fill, hand-written, in dag-factory's venv (control)",
        "parse.ours_cold": "the same, ours, no bytecode cache (`PYTHONDONTWRITEBYTECODE=1`)",
        "parse.hand_cold": "the same, hand-written, no bytecode cache",
        "parse.dag_factory_cold": "the same, dag-factory, no bytecode cache",
    }
    rows = [Measurement(key, what[key], s) for key, s in series.items()]
    ratios = []
    for suffix, label in (("", ""), ("_cold", ", no bytecode cache")):
        ours_hand = pairwise(series[f"parse.ours{suffix}"], series[f"parse.hand{suffix}"])
        ratios.append(
            RatioRow(
                f"parse.ours_vs_hand{suffix}",
                f"ours / hand-written{label}",
                ours_hand,
                "<= 1.10x",
                ours_hand.median <= 1.10,
            )
        )
        if ctx.peers:
            theirs = pairwise(series[f"parse.dag_factory{suffix}"], series[f"parse.ours{suffix}"])
            ratios.append(
                RatioRow(
                    f"parse.dag_factory_vs_ours{suffix}",
                    f"dag-factory / ours{label}",
                    theirs,
                    ">= 2.5x",
                    theirs.median >= 2.5,
                )
            )
            hand = pairwise(series[f"parse.dag_factory{suffix}"], series[f"parse.hand{suffix}"])
            ratios.append(RatioRow(f"parse.dag_factory_vs_hand{suffix}", f"dag-factory / hand-written{label}", hand))
    if ctx.peers:
        same_venv = pairwise(series["parse.dag_factory"], series["parse.hand_peer_venv"])
        ratios.append(
            RatioRow("parse.dag_factory_vs_hand_same_venv", "dag-factory / hand-written, same venv", same_venv)
        )
    notes = [
        "Peak RSS is the whole process's (Airflow imported, then the DagBag filled).",
        "",
        "Rows without a suffix are Python's default: after a file's first parse its bytecode is cached in "
        "`__pycache__`, which is what a dag-processor re-parsing unchanged files pays. `_cold` rows set "
        "`PYTHONDONTWRITEBYTECODE=1` (common in container images) and remove the caches: every parse compiles "
        "every DAG file. Airflow and the peers' own modules are pip-installed, with bytecode, in both.",
    ]
    return Section("3. Airflow parse cost (DagBag fill)", rows, ratios, notes)


# ----------------------------------------------------------------------------- 4. one big spec


def bigspec_section(ctx: Context) -> Section:
    tasks = ctx.sizes.bigspec_tasks
    folder = ctx.fresh("bigspec")
    spec = gen.write_specs(folder / "specs", 1, tasks)[0]
    compile_into(ctx, folder / "specs", folder / "ours")
    gen.write_hand_written(folder / "hand", 1, tasks)
    out = folder / "out"
    compile_cmd = [ctx.dagfactory, "compile", "--specs-dir", str(spec.parent), "--out", str(out), str(spec.parent)]
    measures = {
        "bigspec.validate": command_measure([ctx.dagfactory, "validate", str(spec)], cwd=folder),
        "bigspec.compile": command_measure(
            [*compile_cmd, "--no-cache"], cwd=folder, before=lambda: shutil.rmtree(out, True), check=_compiled_count(1)
        ),
        "bigspec.parse_ours": fill_measure(ctx, ctx.python, folder / "ours", 1, tasks),
        "bigspec.parse_hand": fill_measure(ctx, ctx.python, folder / "hand", 1, tasks),
    }
    series = interleaved(measures, ctx.runs, ctx.warmup)
    what = {
        "bigspec.validate": f"`dagfactory validate`, one spec of {tasks} tasks",
        "bigspec.compile": f"`dagfactory compile`, one spec of {tasks} tasks",
        "bigspec.parse_ours": "DagBag fill of its output",
        "bigspec.parse_hand": "DagBag fill, the same DAG hand-written",
    }
    rows = [Measurement(key, what[key], s) for key, s in series.items()]
    ratio = pairwise(series["bigspec.parse_ours"], series["bigspec.parse_hand"])
    return Section(
        f"4. One big spec: {tasks} tasks",
        rows,
        [RatioRow("bigspec.ours_vs_hand", "ours / hand-written", ratio)],
        [],
    )
