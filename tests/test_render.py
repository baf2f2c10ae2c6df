"""Rendering: golden files, determinism, escaping, and the generated code's style."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from dagfactory.compiler import compile_specs, discover
from dagfactory.writer import HEADER_MARK

from .conftest import FIXTURES, MINIMAL_SPEC, REPO

RUFF = Path(sys.executable).with_name("ruff")


def compile_folder(folder: Path) -> dict[str, str]:
    results = compile_specs(discover([folder], folder, REPO))
    problems = [d for r in results for d in r.diagnostics if d.is_error]
    assert problems == []
    return {r.spec.output_relative.as_posix(): r.text or "" for r in results}


def test_golden_generated_dags_match_specs_byte_for_byte():
    outputs = compile_folder(REPO / "specs")
    for relative, text in outputs.items():
        committed = (REPO / "generated_dags" / relative).read_text(encoding="utf-8")
        assert committed == text, f"generated_dags/{relative} is stale: run `dagfactory compile`"


def test_output_is_deterministic_across_hash_seeds(tmp_path: Path):
    outs = []
    for seed in ("0", "12345"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dagfactory",
                "compile",
                "-q",
                "--specs-dir",
                str(FIXTURES / "valid"),
                "--out",
                str(out),
                str(FIXTURES / "valid"),
            ],
            cwd=REPO,
            env=env,
            check=True,
        )
        outs.append({p.name: p.read_bytes() for p in sorted(out.glob("*.py"))})
    assert outs[0] == outs[1] and len(outs[0]) == len(list((FIXTURES / "valid").glob("*.yaml")))


def test_generated_files_are_ruff_clean(tmp_path: Path):
    for name, text in compile_folder(FIXTURES / "valid").items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    folders = [str(tmp_path), str(REPO / "generated_dags")]
    check = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", "E4,E7,E9,F,I,W", *folders], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [str(RUFF), "format", "--isolated", "--check", "--diff", *folders], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_header_names_the_spec_and_how_to_change_it():
    text = compile_folder(REPO / "specs")["hello_world.py"]
    assert text.startswith(HEADER_MARK + ". Do not edit: change the spec, then run `dagfactory compile`.\n")
    assert text.splitlines()[1] == "# Source: specs/hello_world.yaml"


def test_every_value_reaches_the_file_as_an_exact_literal():
    text = compile_folder(FIXTURES / "valid")["every_feature.py"]
    strings = {n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    for expected in [
        "Exercises every spec feature: quotes ' \" and a # hash",
        "printf '%s\\n' done",
        'echo "extract {{ ds }} in {{ region }}"',
        "{{ params.limit }}",
        "extract-orders",
        "load.x",
        "2nd",
        "Europe/Berlin",
        "file:///tmp/orders.csv",
    ]:
        assert expected in strings, expected


def test_templated_multiline_command_is_carried_byte_for_byte():
    text = compile_folder(REPO / "specs")["task_relationship.py"]
    tree = ast.parse(text)
    commands = [
        kw.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "bash_command"
    ]
    assert '{% for i in range(5) %}\n    echo "{{ ds }}"\n    echo "{{ macros.ds_add(ds, 7) }}"\n' in commands[2]
    assert 'bash_command="""\\\n{% for i in range(5) %}' in text  # readable: real newlines, not \n escapes


def test_doc_md_shows_owners_schedule_lineage_and_tasks():
    text = compile_folder(FIXTURES / "valid")["every_feature.py"]
    doc = next(n.value.value for n in ast.parse(text).body if isinstance(n, ast.Assign) and n.targets[0].id == "DOC_MD")
    assert "| Business owner | Sales Ops (Revenue) <sales-ops@example.com> |" in doc
    assert "| Technical owner | data-eng |" in doc
    assert "| Schedule | cron `30 6 * * 1-5` (Europe/Berlin) |" in doc
    assert "| input | `postgres://warehouse/analytics/public/orders` |  |" in doc
    assert (
        "| output | `s3://finance/daily/orders.parquet` (daily_orders) | Orders of the day, one row per order |" in doc
    )
    assert "| `2nd` | `EmptyOperator` | `load_x`, `load.x` |" in doc
    assert "| Source spec | `tests/fixtures/valid/every_feature.yaml` |" in doc
    assert doc.rstrip().endswith("On-call: page #finance-data.")


def test_task_variables_never_collide(tmp_path: Path):
    spec = MINIMAL_SPEC.replace(
        "  only:\n    operator: empty\n",
        "".join(
            f"  {t}:\n    operator: empty\n" for t in ["load-x", "load_x", "load.x", "class", "dag", "DAG", "pendulum"]
        ),
    )
    (tmp_path / "s.yaml").write_text(spec)
    text = compile_folder(tmp_path)["s.py"]
    tree = ast.parse(text)
    assigned = [t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets]
    assert len(assigned) == len(set(assigned)) == 8  # DOC_MD + 7 tasks


def test_long_fan_out_edges_stay_formatted(tmp_path: Path):
    names = [f"load_partition_number_{i:02d}" for i in range(12)]
    spec = MINIMAL_SPEC.replace(
        "  only:\n    operator: empty\n", "".join(f"  {t}:\n    operator: empty\n" for t in ["start", *names, "end"])
    )
    spec += f"edges:\n  - start >> [{', '.join(names)}] >> end\n"
    (tmp_path / "s.yaml").write_text(spec)
    out = tmp_path / "out"
    out.mkdir()
    (out / "s.py").write_text(compile_folder(tmp_path)["s.py"])
    fmt = subprocess.run(
        [str(RUFF), "format", "--isolated", "--check", "--diff", str(out)], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout
