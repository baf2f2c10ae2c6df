"""Every pass is linear in the spec's size, proven by counting work, not by timing it.

A spec ten times bigger (ten times the tasks, or ten times the text) must cost at most
about ten times the operations: Python calls made (which counts every function of every
pass: loading, validation, the secrets lint, lineage, the graph, the model and the render),
and, where the work hides inside one C call, the hashes of task ids. Deep values are
rendered with work proportional to their depth, not to 2**depth. bench/run.py times
the same specs at full size (section 5).
"""

from __future__ import annotations

import ast
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagfactory.check.lineage import topological_order
from dagfactory.emit import compile_specs, pycode
from dagfactory.emit.pycode import literal
from dagfactory.load.config import Config
from dagfactory.load.discover import discover

from ..conftest import REPO, property_settings

sys.path.insert(0, str(REPO / "bench"))
from gen_hostile import TEXT_KINDS, long_text, many_tasks

GROWTH = 12  # ten times the input; the rest is fixed costs that do not grow


def count_calls(work: Callable[[], Any]) -> int:
    """Python and C function calls made while ``work`` runs."""
    calls = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def compile_calls(tmp_path: Path, name: str, text: str) -> int:
    """Calls made to validate and compile one spec from scratch (the warm-up call imports and caches)."""
    specs = tmp_path / name / "specs"
    specs.mkdir(parents=True)
    (specs / f"{name}.yaml").write_text(text)
    found = discover([specs], specs, tmp_path)
    config = Config(specs=specs, out=tmp_path / name / "out")

    def work() -> None:
        (result,) = compile_specs(found, config)
        assert result.text is not None, result.diagnostics

    work()
    return count_calls(work)


def test_many_tasks_cost_linear_work(tmp_path: Path):
    small, big = compile_calls(tmp_path, "small", many_tasks(100)), compile_calls(tmp_path, "big", many_tasks(1000))
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the tasks"


@pytest.mark.parametrize("kind", sorted(TEXT_KINDS))
def test_long_text_costs_linear_work(tmp_path: Path, kind: str):
    small = compile_calls(tmp_path, "small", long_text(kind, 10_000))
    big = compile_calls(tmp_path, "big", long_text(kind, 100_000))
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the text"


class _CountedId(str):
    """A task id that counts how often it is hashed: a set or dict built per task shows up."""

    hashes = 0

    def __hash__(self) -> int:
        _CountedId.hashes += 1
        return str.__hash__(self)


def _order_hashes(n: int) -> int:
    ids = [_CountedId(f"t{i}") for i in range(n)]
    edges = [(ids[i], ids[i + 1]) for i in range(n - 1)]
    _CountedId.hashes = 0
    assert topological_order(ids, edges) == ids
    return _CountedId.hashes


def test_task_order_hashes_each_id_a_bounded_number_of_times():
    small, big = _order_hashes(500), _order_hashes(5000)
    assert big <= GROWTH * small, f"{big / small:.1f}x the hashes for 10x the tasks"


def _nested(depth: int) -> Any:
    """A value ``depth`` mappings deep around a list too wide for one line even inline."""
    value: Any = [f"item number {i}" for i in range(600)]
    for level in range(depth):
        value = {f"level_{level}": value, "other": level}
    return value


def test_deep_values_render_with_work_proportional_to_depth():
    small, big = count_calls(lambda: literal(_nested(6))), count_calls(lambda: literal(_nested(12)))
    assert big <= 3 * small, f"{big / small:.1f}x the calls for twice the depth"
    assert ast.literal_eval(literal(_nested(12))) == _nested(12)


plain_values = st.recursive(
    st.one_of(st.integers(), st.booleans(), st.none(), st.text(st.sampled_from("ab \"'\\\n데é"), max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(st.sampled_from("kx데"), max_size=8), inner, max_size=6)
    ),
    max_leaves=40,
)


@property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 40)
@given(value=st.lists(plain_values, min_size=1, max_size=4), indent=st.integers(0, 3))
def test_skipping_inline_tries_that_cannot_fit_never_changes_the_layout(value: Any, indent: int):
    laid_out = [literal(value, indent, used) for used in range(95)]  # every column, the edges included
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pycode, "_min_width", lambda items, budget: 0)  # every inline attempt made
        assert [literal(value, indent, used) for used in range(95)] == laid_out


def test_a_large_spec_is_checked_and_rendered_without_full_collections(tmp_path: Path):
    """The cycle collector re-walking the heap of a large spec was most of its compile time; no
    stage makes reference cycles, so each runs with it paused (it collects between specs)."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "big.yaml").write_text(many_tasks(1500))
    found = discover([specs], specs, tmp_path)
    full: list[int] = []  # collections of generations 1 and 2, which walk the grown heap

    def on_collect(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] >= 1:
            full.append(1)

    gc.collect()
    gc.callbacks.append(on_collect)
    try:
        (result,) = compile_specs(found, Config(specs=specs, out=tmp_path / "out"))
    finally:
        gc.callbacks.remove(on_collect)
    assert result.text is not None
    assert len(full) <= 2, f"{len(full)} collections of the older generations"  # 10 with the collector on
    assert gc.isenabled()


HEAD = "description: d\nowner: o\nbusiness_owner: {name: b}\nschedule: '@daily'\nstart_date: 2024-01-01\n"


def _groups_spec(n: int, nested: bool) -> str:
    """``n`` groups of one task each: side by side, or each odd one inside the even one before it."""
    groups = [f"  g{i}: {{group: g{i - 1}}}" if nested and i % 2 else f"  g{i}: {{}}" for i in range(n)]
    tasks = [f"  t{i}: {{operator: empty, group: g{i}}}" for i in range(n)]
    edges = [f"  - g{i} >> g{i + 2}" for i in range(0, n - 2, 2)]  # between outer groups
    body = "groups:\n" + "\n".join(groups) + "\ntasks:\n" + "\n".join(tasks) + "\nedges:\n" + "\n".join(edges)
    return HEAD + body + "\n"


@pytest.mark.parametrize("nested", [False, True], ids=["side by side", "nested"])
def test_many_groups_cost_linear_work(tmp_path: Path, nested: bool):
    """Group membership, Airflow ids, edges to groups and the nested layout are built in one pass each."""
    small = compile_calls(tmp_path, "small", _groups_spec(100, nested))
    big = compile_calls(tmp_path, "big", _groups_spec(1000, nested))
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the groups"


def _validate_calls(tmp_path: Path, name: str, text: str, *, valid: bool = True) -> int:
    """Calls made to check one spec (warmed up first); ``valid``: it must have no error."""
    from dagfactory.check.project import check_project
    from dagfactory.diagnostics import has_errors

    specs = tmp_path / name / "specs"
    specs.mkdir(parents=True)
    (specs / f"{name}.yaml").write_text(text)
    found = discover([specs], specs, tmp_path)
    config = Config(specs=specs, out=tmp_path / name / "out")
    assert has_errors(check_project(found, config).diagnostics) is not valid
    return count_calls(lambda: check_project(found, config))


def _chain_of_groups(n: int, loop: bool) -> str:
    """``n`` groups each in the one before it (a chain far too deep), or in a loop of all ``n``."""
    groups = [f"  g{i}: {{group: g{(i - 1) % n}}}" if i or loop else "  g0: {}" for i in range(n)]
    tasks = [f"  t{i}: {{operator: empty, group: g{i}}}" for i in range(n)]
    return HEAD + "groups:\n" + "\n".join(groups) + "\ntasks:\n" + "\n".join(tasks) + "\n"


@pytest.mark.parametrize("loop", [False, True], ids=["chain", "loop"])
def test_a_hostile_chain_of_groups_is_refused_in_linear_work(tmp_path: Path, loop: bool):
    """Walking up a 1,000-group chain from every group was quadratic (minutes at 600): every walk
    now stops at the depth limit, and loops are found in one pass."""
    small = _validate_calls(tmp_path, "small", _chain_of_groups(100, loop), valid=False)
    big = _validate_calls(tmp_path, "big", _chain_of_groups(1000, loop), valid=False)
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the groups"


def _branch_fan_in(n: int) -> str:
    """A branch task whose branch ``a`` fans out to ``n`` tasks that meet again in one task: no
    two of its ``n`` upstream edges bring different branches, which a pairwise search must
    check pair by pair; ``b`` ends alone."""
    fan = [f"  f{i}: {{operator: empty}}" for i in range(n)]
    tasks = [
        "  choose: {operator: branch_python, python_callable: 'pkg.mod:pick', branches: [a, b]}",
        "  a: {operator: empty}",
        "  b: {operator: empty}",
        *fan,
        "  join: {operator: empty, trigger_rule: none_failed_min_one_success}",
    ]
    every = ", ".join(f"f{i}" for i in range(n))
    edges = ["  - choose >> [a, b]", f"  - a >> [{every}]", f'  - "[{every}] >> join"']
    return HEAD + "tasks:\n" + "\n".join(tasks) + "\nedges:\n" + "\n".join(edges) + "\n"


def test_a_join_of_many_branch_paths_costs_linear_work(tmp_path: Path):
    """Where branches meet is decided in one pass over a task's upstream edges, not pairwise."""
    small = _validate_calls(tmp_path, "small", _branch_fan_in(100))
    big = _validate_calls(tmp_path, "big", _branch_fan_in(1000))
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the upstream edges"


def _setups_and_teardowns(n: int) -> str:
    """``n`` setup/teardown pairs along one chain: s0 >> t0 >> s1 >> t1 >> ..."""
    tasks = []
    for i in range(n):
        tasks += [
            f"  s{i}: {{operator: empty, setup: true}}",
            f"  t{i}: {{operator: empty, teardown: {{setups: [s{i}]}}}}",
        ]
    chain = " >> ".join(f"s{i} >> t{i}" for i in range(n))
    return HEAD + "tasks:\n" + "\n".join(tasks) + f"\nedges:\n  - {chain}\n"


def test_many_teardowns_cost_linear_work(tmp_path: Path):
    """A teardown's setups are searched for downstream of it only when the graph has a cycle."""
    small = _validate_calls(tmp_path, "small", _setups_and_teardowns(100))
    big = _validate_calls(tmp_path, "big", _setups_and_teardowns(1000))
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the pairs"


def _graph_calls(tmp_path: Path, name: str, text: str) -> int:
    """Calls made to draw one spec's task graph as Mermaid and as DOT (`dagfactory graph`)."""
    from dagfactory.emit.lineage import task_graph_dot, task_graph_mermaid

    specs = tmp_path / name / "specs"
    specs.mkdir(parents=True)
    (specs / f"{name}.yaml").write_text(text)
    (result,) = compile_specs(discover([specs], specs, tmp_path), Config(specs=specs, out=tmp_path / name / "out"))
    assert result.pipeline is not None, result.diagnostics
    pipeline = result.pipeline

    def draw() -> None:
        task_graph_mermaid(pipeline)
        task_graph_dot(pipeline)

    draw()
    return count_calls(draw)


@pytest.mark.parametrize("nested", [False, True], ids=["side by side", "nested"])
def test_task_graph_drawings_cost_linear_work(tmp_path: Path, nested: bool):
    """Tasks, groups and edge kinds are looked up by id, never searched for, per node or edge."""
    small = _graph_calls(tmp_path, "small", _groups_spec(100, nested))
    big = _graph_calls(tmp_path, "big", _groups_spec(1000, nested))
    assert big <= GROWTH * small, f"{big / small:.1f}x the calls for 10x the groups"
