"""Section 6 of the benchmark: the shipped examples of issue 16's constructs, DagBag fill time of
their compiled output against the same DAGs written by hand (goal: within 1.1x).

Each example is a spec under ``specs/`` and its hand-written Airflow 3 equivalent under
``bench/hand_written/`` (same dag_id, tasks, groups, labels, setup/teardown, branches). To add
one (TaskFlow, mapping, ...), write both files and add its name to ``EXAMPLES``: nothing else.

Each is copied ``example_copies`` times under other dag_ids (one small DAG parses in a few
milliseconds: too little to time), the spec copies are compiled by dagfactory, and before any
timing both folders are loaded once with their shapes dumped and compared, so the two ways
provably make the same DAGs. Then each folder's DagBag fill is timed in a fresh process, with
and without bytecode caching, as in section 3.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from report import Measurement, RatioRow, Section
from sections import ROOT, Context, airflow_env, compile_into, fill_measure
from timing import CommandFailed, Measure, interleaved, last_json_line, pairwise, run_command

# The examples, by name: specs/NAME.yaml and bench/hand_written/NAME.py.
EXAMPLES = ["grouped_pipeline", "setup_teardown", "branching", "taskflow_xcom", "mapped_tasks"]
HAND_WRITTEN = Path(__file__).resolve().parent / "hand_written"
CALLABLES = ROOT / "generated_dags" / "example_callables"  # the examples' shared callables
GOAL = 1.10


def copy_name(name: str, index: int) -> str:
    return f"{name}_{index:03d}"


def write_copies(ctx: Context, name: str, folder: Path, copies: int) -> None:
    """``copies`` of the example, our way (compiled) in folder/ours and by hand in folder/hand."""
    spec = (ROOT / "specs" / f"{name}.yaml").read_text(encoding="utf-8")
    hand = (HAND_WRITTEN / f"{name}.py").read_text(encoding="utf-8")
    specs = folder / "specs"
    specs.mkdir(parents=True)
    (folder / "hand").mkdir()
    for index in range(copies):
        new_id = copy_name(name, index)
        (specs / f"{new_id}.yaml").write_text(_replace_once(spec, rf"^dag_id: {name}$", f"dag_id: {new_id}"))
        (folder / "hand" / f"{new_id}.py").write_text(_replace_once(hand, rf'dag_id="{name}"', f'dag_id="{new_id}"'))
    compile_into(ctx, specs, folder / "ours")
    for way in ("ours", "hand"):
        shutil.copytree(CALLABLES, folder / way / CALLABLES.name, dirs_exist_ok=True)
        (folder / way / ".airflowignore").write_text(f"{CALLABLES.name}/\n")


def _replace_once(text: str, pattern: str, new: str) -> str:
    out, count = re.subn(pattern, new, text, flags=re.M)
    if count != 1:
        raise CommandFailed(f"expected one {pattern!r} in an example, found {count}")
    return out


def check_same_dags(ctx: Context, folder: Path) -> int:
    """Load folder/ours and folder/hand once; their DAGs must have the same shapes. Returns how
    many tasks the folder holds."""
    shapes = {}
    for way in ("ours", "hand"):
        cmd = [ctx.python, str(Path(__file__).with_name("dagbag_fill.py")), str(folder / way), "--shape"]
        home = ctx.work / "airflow-home"
        home.mkdir(parents=True, exist_ok=True)
        report = last_json_line(run_command(cmd, env=airflow_env(folder / way, home)).stdout)
        if report["import_errors"]:
            raise CommandFailed(f"{folder / way}: {report['import_errors']}")
        shapes[way] = report["shapes"]
    if shapes["ours"] != shapes["hand"]:
        diff = {
            dag_id: {"ours": shapes["ours"].get(dag_id), "hand": shapes["hand"].get(dag_id)}
            for dag_id in sorted(set(shapes["ours"]) | set(shapes["hand"]))
            if shapes["ours"].get(dag_id) != shapes["hand"].get(dag_id)
        }
        first = next(iter(diff))
        raise CommandFailed(f"{folder}: the hand-written DAGs differ from ours: {json.dumps({first: diff[first]})}")
    return sum(len(shape["tasks"]) for shape in shapes["ours"].values())


def examples_section(ctx: Context) -> Section:
    copies = ctx.sizes.example_copies
    root = ctx.fresh("examples")
    measures: dict[str, Measure] = {}
    what: dict[str, str] = {}
    for name in EXAMPLES:
        folder = root / name
        write_copies(ctx, name, folder, copies)
        total = check_same_dags(ctx, folder)
        tasks = total // copies
        for way in ("ours", "hand"):  # the cold runs get their own copy: the warm runs keep their bytecode
            shutil.copytree(folder / way, folder / f"{way}_cold")
        for way, label in (("ours", "compiled by dagfactory"), ("hand", "hand-written")):
            key = f"examples.{name}.{way}"
            measures[key] = fill_measure(ctx, ctx.python, folder / way, copies, total)
            what[key] = f"DagBag fill, {copies} copies of `specs/{name}.yaml` ({tasks} tasks), {label}"
            measures[f"{key}_cold"] = fill_measure(
                ctx, ctx.python, folder / f"{way}_cold", copies, total, bytecode=False
            )
            what[f"{key}_cold"] = f"the same, {label}, no bytecode cache"
    series = interleaved(measures, ctx.runs, ctx.warmup)
    rows = [Measurement(key, what[key], s) for key, s in series.items()]
    ratios = []
    for name in EXAMPLES:
        for suffix, label in (("", ""), ("_cold", ", no bytecode cache")):
            ratio = pairwise(series[f"examples.{name}.ours{suffix}"], series[f"examples.{name}.hand{suffix}"])
            ratios.append(
                RatioRow(
                    f"examples.{name}.ours_vs_hand{suffix}",
                    f"{name}: ours / hand-written{label}",
                    ratio,
                    f"<= {GOAL:.2f}x",
                    ratio.median <= GOAL,
                )
            )
    notes = [
        f"Each example: {copies} copies under other dag_ids, compiled from the spec (ours, with its generated "
        "`doc_md`) and copied from `bench/hand_written/` (no `doc_md`). Before timing, both folders were "
        "loaded once and every DAG's tasks (class, group, upstream tasks, trigger rule, setup/teardown, "
        "retries), edge labels, params and tags compared equal. `_cold` rows: `PYTHONDONTWRITEBYTECODE=1`, "
        "caches removed (see section 3).",
    ]
    return Section("6. Issue 16 examples: DagBag fill of the output vs hand-written", rows, ratios, notes)
