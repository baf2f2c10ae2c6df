"""Section 6 of the benchmark: repositories of 1,000 and 10,000 specs x 20 tasks (issue 17).

For each size, one round times, in this order: a full compile (no output, no cache), a no-op
compile (everything current), a compile after editing one spec, a cold validate (no cache) and
a warm one (the cache that cold validate left). When ``dagfactory compile --help`` lists
``--jobs``, every command is timed a second time with ``--jobs 1`` (one process), beside the
default. Peak memory is the high-water mark of the process tree's RSS (pool workers included).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import gen
from report import Goal, Measurement, RatioRow, Section
from sections import Context, _compiled_count
from timing import CommandFailed, Measure, Run, Series, command_measure, interleaved, pairwise

GROWTH = 10.5  # 10x the specs within 10.5x the time
NOOP = 0.08  # a no-op compile of the large repository under 8 % of a full one (the issue sets no goal for the small)
WARM = 0.15  # a warm validate at most 15 % of a cold one
MEMORY = (2.0, 100.0)  # peak memory of the large repository <= 2x the small one's + 100 MB

KINDS = {
    "compile": "full compile (empty output folder, no cache)",
    "noop": "no-op compile (output current)",
    "touch_one": "compile after editing one spec",
    "validate_cold": "validate, cold (no cache)",
    "validate_warm": "validate, warm (unchanged since the cold one)",
}


def has_jobs(ctx: Context, command: str) -> bool:
    """Whether this dagfactory's ``command`` takes ``--jobs`` (a process pool), as its ``--help`` says."""
    done = subprocess.run([ctx.dagfactory, command, "--help"], capture_output=True, text=True)
    return "--jobs" in done.stdout


def _validated(restored: int | None) -> Callable[[Run], None]:
    """A check that validate found no problem and restored ``restored`` specs from the cache (None: none)."""

    def check(run: Run) -> None:
        found = re.search(r"checked (\d+) specs?: 0 errors[^(\n]*(?:\((\d+) unchanged)?", run.stderr)
        if not found or int(found[2] or 0) != (restored or 0):
            raise CommandFailed(f"validate did not restore {restored} specs: {run.stderr[-500:]}")

    return check


def _measures(
    ctx: Context, folder: Path, count: int, touched: Path, jobs: tuple[list[str], list[str]], tag: str
) -> dict[str, Measure]:
    """One variant's five commands on the repository in ``folder`` (its own output folder; the
    cache is shared, and each variant's round starts by removing it)."""
    specs = touched.parent
    out = folder / f"out{tag}"
    cache = folder / ".dagfactory_cache"  # beside the folder's dagfactory.toml
    original = touched.read_text()
    compile_cmd = [ctx.dagfactory, "compile", *jobs[0], "--specs-dir", str(specs), "--out", str(out), str(specs)]
    validate_cmd = [ctx.dagfactory, "validate", *jobs[1], "--specs-dir", str(specs), str(specs)]

    def cold() -> None:
        shutil.rmtree(out, True)
        shutil.rmtree(cache, True)

    def touch() -> None:  # a real edit, so exactly one output file changes
        text = touched.read_text()
        touched.write_text(original if text != original else original.replace("Benchmark pipeline", "Edited pipeline"))

    key = f"scale.{count}{tag}"
    return {
        f"{key}.compile": command_measure(
            compile_cmd, cwd=folder, before=cold, check=_compiled_count(count), tree=True
        ),
        f"{key}.noop": command_measure(compile_cmd, cwd=folder, check=_compiled_count(0), tree=True),
        f"{key}.touch_one": command_measure(compile_cmd, cwd=folder, before=touch, check=_compiled_count(1), tree=True),
        f"{key}.validate_cold": command_measure(
            validate_cmd, cwd=folder, before=lambda: shutil.rmtree(cache, True), check=_validated(None), tree=True
        ),
        f"{key}.validate_warm": command_measure(validate_cmd, cwd=folder, check=_validated(count), tree=True),
    }


def scale_section(ctx: Context) -> Section:
    small, large = ctx.sizes.repo_small, ctx.sizes.repo_large
    variants: dict[str, tuple[list[str], list[str]]] = {"": ([], [])}  # id suffix -> compile's, validate's options
    if has_jobs(ctx, "compile"):
        variants["_jobs1"] = (["--jobs", "1"], ["--jobs", "1"] if has_jobs(ctx, "validate") else [])
    measures: dict[str, Measure] = {}
    for count in (small, large):
        folder = ctx.project(f"scale/{count}")
        touched = gen.write_specs(folder / "specs", count, ctx.sizes.repo_tasks)[count // 2]
        for tag, jobs in variants.items():
            measures.update(_measures(ctx, folder, count, touched, jobs, tag))
    series = interleaved(measures, ctx.runs, ctx.warmup)
    rows = []
    for key, found in series.items():
        count, kind = key.split(".")[1], key.split(".")[2]
        n = int(count.split("_")[0])
        jobs = " (`--jobs 1`)" if count.endswith("_jobs1") else ""
        rows.append(Measurement(key, f"{n:,} specs x {ctx.sizes.repo_tasks} tasks: {KINDS[kind]}{jobs}", found))
    ratios: list[RatioRow] = []
    goals: list[Goal] = []
    for tag in variants:
        jobs = " (`--jobs 1`)" if tag else ""

        def at(count: int, kind: str, tag: str = tag) -> Series:
            return series[f"scale.{count}{tag}.{kind}"]

        for kind in KINDS:
            growth = pairwise(at(large, kind), at(small, kind))
            goal = kind in ("compile", "validate_cold")
            ratios.append(
                RatioRow(
                    f"scale.growth{tag}.{kind}",
                    f"{KINDS[kind]}{jobs}: {large:,} / {small:,} specs",
                    growth,
                    f"<= {GROWTH}x" if goal else "",
                    growth.median <= GROWTH if goal else None,
                )
            )
        for count in (small, large):
            noop = pairwise(at(count, "noop"), at(count, "compile"))
            touch = pairwise(at(count, "touch_one"), at(count, "compile"))
            warm = pairwise(at(count, "validate_warm"), at(count, "validate_cold"))
            ratios += [
                RatioRow(
                    f"scale.{count}{tag}.noop_vs_full",
                    f"{count:,} specs{jobs}: no-op compile / full compile",
                    noop,
                    f"< {NOOP:.2f}x" if count == large else "",
                    noop.median < NOOP if count == large else None,
                ),
                RatioRow(
                    f"scale.{count}{tag}.touch_vs_full",
                    f"{count:,} specs{jobs}: one edited spec / full compile",
                    touch,
                ),
                RatioRow(
                    f"scale.{count}{tag}.warm_vs_cold",
                    f"{count:,} specs{jobs}: warm validate / cold validate",
                    warm,
                    f"<= {WARM:.2f}x",
                    warm.median <= WARM,
                ),
            ]
        for kind in ("compile", "validate_cold"):
            low, high = at(small, kind).peak_rss, at(large, kind).peak_rss
            limit = MEMORY[0] * low + MEMORY[1]
            goals.append(
                Goal(
                    f"scale.memory{tag}.{kind}",
                    f"{KINDS[kind]}{jobs}: peak memory of {large:,} specs <= {MEMORY[0]:.0f}x {small:,}'s "
                    f"+ {MEMORY[1]:.0f} MiB",
                    f"{high:.0f} MiB vs {low:.0f} MiB (limit {limit:.0f} MiB)",
                    high <= limit,
                )
            )
    if "_jobs1" not in variants:
        jobs_note = "This dagfactory has no `--jobs` option: every command ran in one process."
    elif variants["_jobs1"][1]:
        jobs_note = "Each command ran with the default `--jobs` and again with `--jobs 1` (rows `_jobs1`)."
    else:
        jobs_note = (
            "Compile ran with the default `--jobs` and with `--jobs 1` (rows `_jobs1`); validate has no `--jobs`."
        )
    notes = [
        f"Generated specs (`bench/gen.py`: {ctx.sizes.repo_tasks} tasks each, bash/python/empty in chains with "
        "fan-outs), timed as whole processes, one round after another in the order of the table; "
        "the full compile and the cold validate start without `.dagfactory_cache/`, which the others use. "
        "Peak RSS is the high-water mark of the whole process tree (the command and any worker processes, "
        "summed; pages shared between them are counted in each), sampled every 50 ms.",
        "",
        jobs_note,
    ]
    title = f"6. Scale: repositories of {small:,} and {large:,} specs x {ctx.sizes.repo_tasks} tasks"
    return Section(title, rows, ratios, notes, goals)
