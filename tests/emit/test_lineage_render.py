"""The lineage outputs: `dagfactory lineage` as JSON, Mermaid, DOT and an HTML page checked
in a real headless Chromium, and `dagfactory graph` for one pipeline's tasks."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from dagfactory.emit.lineage import dot_string, mermaid_label

from ..conftest import REPO, run_cli

SHOP = ["orders_extract", "orders_daily_aggregate", "weekly_report"]
REVENUE = "postgres://warehouse:5432/analytics/public/daily_product_revenue"


def lineage(*args: str, cwd: Path = REPO) -> str:
    proc = run_cli("lineage", *args, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_json_lists_pipelines_assets_and_who_writes_and_reads_them():
    document = json.loads(lineage("specs/shop", "--format", "json"))
    assert sorted(p["dag_id"] for p in document["pipelines"]) == sorted(SHOP)
    assets = {a["uri"]: a for a in document["assets"]}
    assert assets["s3://shop-lake/raw/orders"]["producers"] == ["orders_extract"]
    assert assets["s3://shop-lake/raw/orders"]["consumers"] == ["orders_daily_aggregate"]
    assert assets[REVENUE] | {"name": None} == {
        "uri": REVENUE, "name": None, "producers": ["orders_daily_aggregate"], "consumers": ["weekly_report"],
    }  # fmt: skip
    edges = {(e["from"], e["kind"], e["to"]) for e in document["edges"]}
    assert (REVENUE, "triggers", "weekly_report") in edges
    assert ("orders_extract", "writes", "s3://shop-lake/raw/orders") in edges
    report = next(p for p in document["pipelines"] if p["dag_id"] == "weekly_report")
    assert report["business_owner"] == {"name": "Merchandising", "email": "merch@example.com", "team": "Commerce"}
    assert [t["task_id"] for t in report["tasks"]] == ["build_report", "publish"]


def test_mermaid_and_dot_draw_the_chain():
    mermaid = lineage("specs/shop", "--format", "mermaid")
    assert mermaid.startswith("flowchart LR\n")
    ids = dict(re.findall(r'^    (\w+)\[\(?"([^"]+)"', mermaid, re.M))
    by_label = {label: node for node, label in ids.items()}
    assert f"    {by_label['orders_extract']} --> {by_label['s3://shop-lake/raw/orders']}" in mermaid
    assert f"    {by_label[REVENUE]} -. triggers .-> {by_label['weekly_report']}" in mermaid
    dot = lineage("specs/shop", "--format", "dot")
    assert dot.startswith("digraph lineage {")
    assert dot.rstrip().endswith("}")
    assert dot.count("shape=cylinder") == 4
    assert dot.count("shape=box") == 3
    assert '[style=dashed, label="triggers"]' in dot


def test_labels_cannot_break_out_of_mermaid_or_dot():
    assert mermaid_label('a"]; click x "evil') == '"a#quot;]; click x #quot;evil"'
    assert mermaid_label("<b>\n#") == '"#lt;b#gt; #35;"'
    assert dot_string('a"b\\\nc') == '"a\\"b\\\\\\nc"'


def test_graph_prints_one_pipelines_tasks(tmp_path: Path):
    proc = run_cli("graph", "specs/task_relationship.yaml", "--format", "mermaid")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:5] == [
        '    t0["print_date"]', '    t1["sleep"]', '    t2["templated"]', '    t3["finished"]',
    ]  # fmt: skip
    assert {"    t0 --> t1", "    t0 --> t2", "    t1 --> t3", "    t2 --> t3"} <= set(proc.stdout.splitlines())
    out = tmp_path / "graph.dot"
    proc = run_cli("graph", "specs/shop/orders_daily_aggregate.yaml", "--format", "dot", "--out", str(out))
    assert proc.returncode == 0
    assert "DF702" not in proc.stderr  # alone, a spec's inputs look unproduced
    assert "    t0 -> t1;\n    t1 -> t2;" in out.read_text()


def test_lineage_refuses_specs_with_errors(project: Path):
    (project / "specs" / "bad.yaml").write_text("description: x\n", encoding="utf-8")
    proc = run_cli("lineage", cwd=project)
    assert proc.returncode == 1
    assert "error[DF102]" in proc.stdout


# --- the HTML page in a real browser ------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with no network features; console messages go to stderr."""
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--enable-logging=stderr", "--v=0", *args, page.as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_console_check_sees_a_broken_page(tmp_path: Path):
    """The check the next test relies on: a page that throws is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>missing_function();</script></body></html>", encoding="utf-8")
    proc = chromium(page, tmp_path / "profile", "--dump-dom")
    assert any("Uncaught ReferenceError" in line for line in console_messages(proc.stderr))


def test_html_page_shows_every_pipeline_in_chromium(tmp_path: Path):
    page = tmp_path / "lineage.html"
    lineage("--format", "html", "--out", str(page))
    document = json.loads(lineage("--format", "json"))
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), "the page must not fetch anything"
    proc = chromium(page, tmp_path / "profile", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    dom = proc.stdout
    assert f'data-ready="{len(document["pipelines"])}"' in dom  # the script ran to its end
    for p in document["pipelines"]:  # cards are drawn by the script: each name is in an <h2>
        assert f"<h2>{p['dag_id']}</h2>" in dom
        assert p["business_owner"]["name"] in dom
    shot = tmp_path / "lineage.png"
    proc = chromium(page, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1280,900")
    assert proc.returncode == 0
    assert console_messages(proc.stderr) == []
    assert png_size(shot) == (1280, 900)
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few kilobytes


HOSTILE = ["</script><script>document.title='pwned'</script>", "<img src=x onerror=alert(1)>"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_html_page_shows_hostile_text_as_text(project: Path, hostile: str):
    spec = (
        f"description: {json.dumps(hostile)}\nowner: o\nbusiness_owner:\n  name: {json.dumps(hostile)}\n"
        f"schedule: null\nstart_date: 2024-01-01\nlineage:\n  outputs:\n    - uri: s3://b/k\n"
        f"      description: {json.dumps(hostile)}\ntasks:\n  t:\n    operator: empty\n"
    )
    (project / "specs" / "evil.yaml").write_text(spec, encoding="utf-8")
    page = project / "lineage.html"
    lineage("--format", "html", "--out", str(page), cwd=project)
    proc = chromium(page, project / "profile", "--dump-dom")
    assert console_messages(proc.stderr) == []
    assert "pwned" not in proc.stdout.split("</title>")[0]
    assert proc.stdout.count("<script") == 2
    assert "<img" not in proc.stdout
    assert hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in proc.stdout


def test_graph_draws_groups_as_nested_subgraphs_and_labels_on_edges():
    proc = run_cli("graph", "tests/fixtures/valid/groups.yaml", "--format", "mermaid")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[3:10] == [
        '    subgraph g0["extract"]',
        '        t1["extract.pull"]',
        '        subgraph g1["extract.clean"]',
        '            t2["scrub"]',
        "        end",
        "    end",
        '    subgraph g2["report"]',
    ]
    assert '    t3 -->|"rows found"| t4' in proc.stdout.splitlines()
    assert '    t0 -->|"kick off: the report\'s #quot;first#quot; run"| t3' in proc.stdout.splitlines()
    proc = run_cli("graph", "tests/fixtures/valid/groups.yaml", "--format", "dot")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert '    subgraph cluster_0 {\n        label="extract";\n        t1 [label="extract.pull"];\n' in text
    assert '        subgraph cluster_1 {\n            label="extract.clean";\n            t2 [label="scrub"];\n' in text
    assert '    t3 -> t4 [label="rows found"];\n' in text


def test_lineage_json_names_the_group_of_grouped_tasks_only(tmp_path: Path):
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "valid" / "groups.yaml", folder / "groups.yaml")
    proc = run_cli("lineage", str(folder), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (pipeline,) = json.loads(proc.stdout)["pipelines"]
    tasks = {t["task_id"]: t for t in pipeline["tasks"]}
    assert tasks["pull"]["group"] == "extract"
    assert tasks["pull"]["airflow_task_id"] == "extract.pull"
    assert tasks["scrub"]["airflow_task_id"] == "scrub"
    assert "group" not in tasks["start"]
    page = tmp_path / "lineage.html"
    proc = run_cli("lineage", str(folder), "--format", "html", "--out", str(page), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = page.read_text(encoding="utf-8")
    assert "extract.pull" in html  # the data the page lists tasks from
    assert "t.airflow_task_id || t.task_id" in html  # grouped tasks are listed by their Airflow id
