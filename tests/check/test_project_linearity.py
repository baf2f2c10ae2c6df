"""A project ten times bigger costs about ten times the work, counted in calls (not timed):
the cross-spec rules, the lineage links each spec's docs are rendered with, the output plan,
and the whole of a slim validate and compile. bench/run.py times the same at full size."""

from __future__ import annotations

import sys
from pathlib import Path

from dagfactory.check.lineage import RepoLineage, pipeline_lineage
from dagfactory.check.project import check_project
from dagfactory.emit import render_project, writer
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
from dagfactory.load.document import Document

from ..conftest import REPO
from ..emit.test_linearity import GROWTH, count_calls

sys.path.insert(0, str(REPO / "bench"))
import gen


def project(root: Path, count: int) -> tuple[list, Config]:
    """``count`` small specs, each reading what the one before writes."""
    specs = root / "specs"
    specs.mkdir(parents=True)
    for index in range(count):
        lineage = f"lineage:\n  inputs: [s3://b/t{index - 1}]\n  outputs: [s3://b/t{index}]\ntasks:\n"
        (specs / f"{gen.dag_id(index)}.yaml").write_text(gen.spec_yaml(index, 2).replace("tasks:\n", lineage, 1))
    config = Config(specs=specs, out=root / "out")
    return discover([specs], specs, root), config


class Named(str):
    """A dag_id whose comparisons and hashes are Python calls, so counting calls counts them."""

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)

    def __hash__(self) -> int:
        return str.__hash__(self)


def test_lineage_links_cost_linear_work():
    """Each spec's links are looked up by dag_id (they were searched for: 10x the specs, 100x the work)."""

    def links(count: int) -> int:
        data = [
            {"dag_id": Named(f"d{i}"), "lineage": {"inputs": [f"s3://b/{i - 1}"], "outputs": [f"s3://b/{i}"]}}
            for i in range(count)
        ]
        repo = RepoLineage([pipeline_lineage(Document(f"{i}.yaml", d), d["dag_id"]) for i, d in enumerate(data)])
        return count_calls(lambda: [repo.links(p.dag_id) for p in repo.pipelines])

    small, big = links(100), links(1000)
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the pipelines"


def test_validate_of_a_project_costs_linear_work(tmp_path: Path):
    def calls(count: int) -> int:
        specs, config = project(tmp_path / str(count), count)
        check_project(specs, config, slim=True)  # warm-up: imports and caches
        return count_calls(lambda: check_project(specs, config, slim=True))

    small, big = calls(20), calls(200)
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the specs"


def test_compile_of_a_project_costs_linear_work(tmp_path: Path):
    def calls(count: int) -> int:
        specs, config = project(tmp_path / str(count), count)

        def work() -> None:
            rendered = render_project(specs, config)
            outputs = {r.spec.output_relative: (r.spec.display, r.text or "") for r in rendered}
            writer.apply(writer.plan(outputs, config.out, prune=True))

        work()  # warm-up, and the output folder filled: the plan then reads every file
        texts = [r.text for r in render_project(specs, config)]
        assert all(texts)
        assert "bench_00000" in writer.text_of(texts[1] or "")  # its docs name its producer
        return count_calls(work)

    small, big = calls(20), calls(200)
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the specs"
