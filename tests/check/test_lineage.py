"""Lineage checks: asset URIs per spec, and the cross-spec graph (two writers, untriggered
schedules, cycles between pipelines), each at its line; plus the doc_md the repo graph feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagfactory.check import check_project
from dagfactory.check.lineage import normalized_uri, topological_order
from dagfactory.emit import compile_specs
from dagfactory.load.config import Config
from dagfactory.load.discover import discover

from ..conftest import MINIMAL_HEAD, MINIMAL_TASKS, REPO, run_cli


def write(project: Path, name: str, text: str) -> Path:
    path = project / "specs" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def findings(project: Path) -> list[tuple[str, str, int, int, str]]:
    """(spec, code, line, column, message) of every diagnostic, sorted."""
    specs = discover([project / "specs"], project / "specs", project)
    out = []
    for result in check_project(specs, Config(specs=project / "specs", out=project / "generated_dags")).results:
        out += [(Path(d.path).stem, d.code, d.line, d.column, d.message) for d in result.diagnostics]
    return sorted(out)


def pipeline(reads: list[str] = (), writes: list[str] = (), schedule: str | None = None) -> str:
    text = MINIMAL_HEAD if schedule is None else MINIMAL_HEAD.replace('"@daily"', f"\n  assets: [{schedule}]")
    text += "lineage:\n"
    text += "  inputs: [" + ", ".join(reads) + "]\n"
    text += "  outputs: [" + ", ".join(writes) + "]\n"
    return text + MINIMAL_TASKS


@pytest.mark.parametrize(
    ("uri", "name", "where", "words"),
    [
        ("s3://bucket/my file.csv", "sales", (9, 12), "contains whitespace"),
        ("bucket/key.csv", "sales", (9, 12), "has no scheme"),
        ("airflow://internal/thing", "sales", (9, 12), "reserved scheme 'airflow'"),
        ("postgres://warehouse/public/sales", "sales", (9, 12), "database, schema and table"),
        ("mysql://db-host/sales", "sales", (9, 12), "database and table"),
        ("s3:///no-bucket", "sales", (9, 12), "no host (or bucket)"),
        ("x-lake://[broken/key", "sales", (9, 12), "is not a valid URI"),  # urllib (and so Airflow) refuses it
        ("s3://bucket/sales.csv", "self", (10, 13), "reserved by Airflow"),
        ("s3://bucket/sales.csv", "context", (10, 13), "reserved by Airflow"),
        ("s3://bucket/sales.csv", "'   '", (10, 13), "is blank"),
    ],
)
def test_bad_asset_is_df105_at_its_value(project: Path, uri: str, name: str, where: tuple[int, int], words: str):
    lineage = f"lineage:\n  outputs:\n    - uri: {uri}\n      name: {name}\n"
    write(project, "sales", MINIMAL_HEAD + lineage + MINIMAL_TASKS)
    (found,) = findings(project)
    assert found[:4] == ("sales", "DF105", *where)
    assert words in found[4]


def test_task_and_schedule_assets_are_checked_too(project: Path):
    text = MINIMAL_HEAD.replace('"@daily"', "\n  assets: [no-scheme]") + MINIMAL_TASKS + "    outputs: ['s3://b/a b']\n"
    write(project, "sales", text)
    got = [(code, line, col) for _, code, line, col, _ in findings(project)]
    assert got == [("DF105", 6, 12), ("DF105", 11, 15)]  # (the schedule's DF702 needs a valid URI)


@pytest.mark.parametrize(
    "uri",
    ["s3://bucket/key.csv", "postgres://h:5432/db/public/t", "postgresql://h/db/public/t", "mysql://h/db/t",
     "x-custom://anything", "file:///tmp/data.csv", "gs://bucket/prefix/"],
)  # fmt: skip
def test_good_uris_pass(project: Path, uri: str):
    write(project, "sales", pipeline(writes=[uri]))
    assert findings(project) == []


def test_two_writers_of_one_asset_is_df701_at_the_second(project: Path):
    write(project, "a_first", pipeline(writes=["s3://lake/orders"]))
    write(project, "b_second", pipeline(writes=["s3://lake/orders/"]))  # the same asset, as Airflow sees it
    ((spec, code, line, col, message),) = findings(project)
    assert (spec, code, line, col) == ("b_second", "DF701", 9, 13)
    assert "also written by 'a_first' (specs/a_first.yaml)" in message


def test_shared_in_every_writer_allows_two_writers(project: Path):
    shared = MINIMAL_HEAD + "lineage:\n  outputs:\n    - {uri: 's3://lake/events', shared: true}\n" + MINIMAL_TASKS
    write(project, "a_first", shared)
    write(project, "b_second", shared)
    assert findings(project) == []
    write(project, "b_second", pipeline(writes=["s3://lake/events"]))  # one writer did not agree
    assert [f[:2] for f in findings(project)] == [("b_second", "DF701")]


def test_schedule_on_an_asset_nobody_writes_is_a_df702_warning(project: Path):
    write(project, "report", pipeline(schedule="s3://lake/daily"))
    specs = discover([project / "specs"], project / "specs", project)
    ((diagnostic,),) = [r.diagnostics for r in check_project(specs).results]
    assert (diagnostic.code, diagnostic.severity, diagnostic.line, diagnostic.column) == ("DF702", "warning", 6, 12)
    write(project, "daily", pipeline(writes=["s3://lake/daily"]))
    assert findings(project) == []


def test_provider_normalisation_links_spellings_of_one_asset(project: Path):
    write(project, "daily", pipeline(writes=["postgres://wh/db/public/t"]))
    write(project, "report", pipeline(schedule="POSTGRES://wh:5432/db/public/t"))
    assert findings(project) == []
    assert normalized_uri("postgresql://u@wh/db/public/t/?b=2&a=1#x") == "postgres://wh:5432/db/public/t?a=1&b=2"


def test_cycle_between_pipelines_is_df703_with_its_path(project: Path):
    write(project, "a", pipeline(reads=["s3://l/y"], writes=["s3://l/x"]))
    write(project, "b", pipeline(reads=["s3://l/x"], writes=["s3://l/y"]))
    got = findings(project)
    assert [f[:4] for f in got] == [("a", "DF703", 8, 12), ("b", "DF703", 8, 12)]
    assert "a -[s3://l/x]-> b -[s3://l/y]-> a" in got[0][4]


def test_reading_own_output_is_fine_but_scheduling_on_it_loops(project: Path):
    write(project, "upsert", pipeline(reads=["s3://l/t"], writes=["s3://l/t"]))
    assert findings(project) == []
    write(project, "upsert", pipeline(writes=["s3://l/t"], schedule="s3://l/t"))
    ((spec, code, line, _, message),) = findings(project)
    assert (spec, code, line) == ("upsert", "DF703", 6)
    assert "upsert -[s3://l/t]-> upsert" in message


def test_validate_and_compile_report_cross_spec_errors(project: Path):
    write(project, "a", pipeline(writes=["s3://l/x"]))
    write(project, "b", pipeline(writes=["s3://l/x"]))
    for command in ("validate", "compile"):
        proc = run_cli(command, cwd=project)
        assert proc.returncode == 1
        assert "specs/b.yaml:9:13: error[DF701]" in proc.stdout
    assert list((project / "generated_dags").iterdir()) == []


def test_cached_findings_are_recomputed_when_another_spec_changes(project: Path):
    write(project, "a", pipeline(writes=["s3://l/x"]))
    write(project, "b", pipeline(writes=["s3://l/x"]))
    assert run_cli("compile", cwd=project).returncode == 1
    write(project, "a", pipeline(writes=["s3://l/other"]))  # b itself is unchanged (cache-restored)
    proc = run_cli("compile", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DF701" not in proc.stdout


def test_topological_order_keeps_spec_order_among_ready_tasks():
    assert topological_order(["d", "c", "b", "a"], [("a", "d")]) == ["c", "b", "a", "d"]
    assert topological_order(["z", "y", "x"], [("x", "y"), ("y", "z")]) == ["x", "y", "z"]
    assert topological_order(["a", "b"], [("a", "b"), ("b", "a")]) == ["a", "b"]  # a cycle loses no task


def test_doc_md_names_producers_consumers_and_orders_tasks():
    specs = discover([REPO / "specs" / "shop"], REPO / "specs", REPO)
    results = {r.pipeline.dag_id: r.text for r in compile_specs(specs) if r.pipeline is not None}
    aggregate = results["orders_daily_aggregate"]
    assert "| input | `s3://shop-lake/raw/orders` | The day's raw orders | written by `orders_extract` |" in aggregate
    assert "(daily_product_revenue) | Revenue and order count per product and day | read by `weekly_report` |" in (
        aggregate
    )
    assert "| Business owner | Merchandising (Commerce) <merch@example.com> |" in aggregate
    tasks = [aggregate.index(f"| `{t}` |") for t in ("wait_for_raw_orders", "aggregate", "check_totals")]
    assert tasks == sorted(tasks)
    assert "written by `orders_daily_aggregate`" in results["weekly_report"]


def test_require_lineage_accepts_task_level_assets(project: Path):
    (project / "pyproject.toml").write_text("[tool.dagfactory]\nrequire_lineage = true\n", encoding="utf-8")
    write(project, "sales", MINIMAL_HEAD + MINIMAL_TASKS)
    proc = run_cli("validate", cwd=project)
    assert proc.returncode == 1
    assert "error[DF102]: the pipeline declares no lineage" in proc.stdout
    write(project, "sales", MINIMAL_HEAD + MINIMAL_TASKS + "    outputs: ['s3://b/sales']\n")
    proc = run_cli("validate", cwd=project)
    assert proc.returncode == 0, proc.stdout
