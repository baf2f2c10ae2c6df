"""Section 5 of the benchmark: linear under hostile size. Each spec near the 1 MB limit
(``gen_hostile``) must validate and compile within 12x the time of one a tenth its size."""

from __future__ import annotations

import shutil

from gen_hostile import TEXT_KINDS, deep_values, long_text, many_tasks
from report import Measurement, RatioRow, Section
from sections import Context, _compiled_count
from timing import Measure, command_measure, interleaved, pairwise

GOAL = 12  # big / small within 12x: linear, with room for noise and fixed costs that do not shrink


def pairs(tasks: int, size: int) -> dict[str, tuple[str, str]]:
    """name -> (big spec, small spec): the many-tasks pair, then one pair per kind of text."""
    found = {
        "tasks": (many_tasks(tasks), many_tasks(tasks // 10)),
        "deep": (deep_values(size), deep_values(size // 10)),
    }
    for kind in TEXT_KINDS:
        found[kind] = (long_text(kind, size), long_text(kind, size // 10))
    return found


def hostile_section(ctx: Context) -> Section:
    folder = ctx.fresh("hostile")
    measures: dict[str, Measure] = {}
    what: dict[str, str] = {}
    specs_by_name = pairs(ctx.sizes.hostile_tasks, ctx.sizes.hostile_bytes)
    for name, (big, small) in specs_by_name.items():
        for label, text in (("big", big), ("small", small)):
            specs = folder / name / label / "specs"
            specs.mkdir(parents=True)
            # `hostile_` keeps a name such as `pipes` from shadowing a module (DF404)
            (specs / f"hostile_{name}.yaml").write_text(text)
            out = specs.parent / "out"
            key = f"hostile.{name}.{label}"
            measures[f"{key}.validate"] = command_measure(
                [ctx.dagfactory, "validate", "--specs-dir", str(specs), str(specs)], cwd=specs.parent
            )
            compile_cmd = [ctx.dagfactory, "compile", "--no-cache", "--specs-dir", str(specs), "--out", str(out)]
            measures[f"{key}.compile"] = command_measure(
                [*compile_cmd, str(specs)],
                cwd=specs.parent,
                before=lambda out=out: shutil.rmtree(out, True),
                check=_compiled_count(1),
            )
            shape = f"{ctx.sizes.hostile_tasks // (1 if label == 'big' else 10):,} tasks" if name == "tasks" else name
            size = f"{len(text.encode()):,} bytes"
            what[f"{key}.validate"] = f"`dagfactory validate`, {label} spec: {shape}, {size}"
            what[f"{key}.compile"] = f"`dagfactory compile`, {label} spec: {shape}, {size}"
    series = interleaved(measures, ctx.runs, ctx.warmup)
    rows = [Measurement(key, what[key], s) for key, s in series.items()]
    ratios = []
    for name in specs_by_name:
        for command in ("validate", "compile"):
            ratio = pairwise(series[f"hostile.{name}.big.{command}"], series[f"hostile.{name}.small.{command}"])
            ratios.append(
                RatioRow(
                    f"hostile.{name}.{command}",
                    f"{command} {name}: big / small (ten times smaller)",
                    ratio,
                    f"<= {GOAL}x",
                    ratio.median <= GOAL,
                )
            )
    notes = [
        f"Each pair: a big spec ({ctx.sizes.hostile_tasks:,} tasks; {ctx.sizes.hostile_bytes:,} bytes of text: near "
        "the 1 MB limit in a full run) and one a tenth its size, timed as whole processes "
        "(validate; compile with `--no-cache` into an empty folder). `tasks`: many tasks with chains, "
        "fan-outs and lineage; `deep`: params 60 mappings deep around a long list; the others: one task, "
        "the description, doc_md and the task's doc_md "
        f"filled with one kind of text ({', '.join(f'`{k}`' for k in TEXT_KINDS)}).",
    ]
    return Section("5. Linear under hostile size: specs near 1 MB vs a tenth", rows, ratios, notes)
