"""Branching for the compiles-then-loads property test (``test_property_loads.py``).

Some drawn tasks become ``branch_python`` tasks whose ``branches:`` are a drawn subset of their
direct downstream tasks (valid by construction); each task where two of those branches join gets
a trigger rule that runs after a skipped branch, unless it cannot have one (a task right after a
setup must keep all_success: DF306 is then expected; a teardown runs under Airflow's own rule and
is never warned about). The oracle of joins is read here from the drawn edges, independently of
``check/branching.py``.

Two mutations, at their field: a branch that is not a direct downstream task (refused, DF308 at
the `branches` item) and a join of two branches under all_success (accepted, DF306 warning at its
``trigger_rule``; the four tasks must load in Airflow like the rest).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import strategies as st

from .test_generated_dags import expected_airflow_view

# Rules under which a join runs after one of its upstream branches was skipped.
JOIN_RULES = ["none_failed_min_one_success", "all_done", "none_failed", "one_success", "always"]
SKIPPING_RULES = ("all_success", "none_skipped")
OPERATOR_KEYS = ("bash_command", "env", "python_callable", "op_kwargs", "op_args")
OPERATOR_KEYS += ("on_execute_callback", "on_skipped_callback")
# Tasks added to make joins common, numbered per spec (a dot: no group's id can clash with them)
NEW_JOIN, NEW_BRANCH, NEW_CHOOSE = "joins.branches", "branches.other", "branches.choose"


def spec_edges(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """The spec's task edges (groups expanded), spec ids, without as_teardown's setup edges."""
    plain = copy.deepcopy(spec)
    for task in plain["tasks"].values():
        task.pop("teardown", None)
    view = expected_airflow_view(plain)
    spec_id = {a: t for t, a in view["ids"].items()}
    return {(spec_id[u], spec_id[d]) for u, d in view["edges"]}


def joins(edges: set[tuple[str, str]], branch_task: str, branches: list[str]) -> set[str]:
    """Tasks where two different branches of ``branch_task`` meet: upstream edges that bring,
    together, at least two branches (an edge from the branch task itself brings the task)."""
    reach: dict[str, set[str]] = {}
    for branch in branches:
        todo, seen = [branch], set()
        while todo:
            task = todo.pop()
            if task not in seen:
                seen.add(task)
                reach.setdefault(task, set()).add(branch)
                todo += [d for u, d in edges if u == task]
    found = set()
    for task in {d for _, d in edges}:
        brought = [
            {task} if up == branch_task and task in branches else reach.get(up, set())
            for up, down in edges
            if down == task
        ]
        carrying = [b for b in brought if b]
        if len(carrying) >= 2 and len(set().union(*carrying)) >= 2:
            found.add(task)
    return found


def effective_rule(spec: dict[str, Any], task_id: str) -> str:
    task = spec["tasks"][task_id]
    if "teardown" in task:
        return "all_done_setup_success"
    return task.get("trigger_rule") or (spec.get("default_args") or {}).get("trigger_rule") or "all_success"


def new_task(spec: dict[str, Any], expected: dict[str, Any], stem: str) -> str:
    """Add an empty task named ``stem`` + a number, if that id is free (also as an Airflow id)."""
    taken = set(spec["tasks"]) | set(expected_airflow_view(spec)["ids"].values())
    name = next(f"{stem}{n}" for n in range(len(taken) + 1) if f"{stem}{n}" not in taken)
    spec["tasks"][name] = {"operator": "empty"}
    expected[name] = {"class": "empty", "upstream": set(), "attrs": {}}
    return name


def join_edge(
    rnd: random.Random, spec: dict[str, Any], expected: dict[str, Any], branches: list[str], edges: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Maybe add ``[b1, b2] >> j``, so that joins are common: j a task later than both in spec
    order (still no cycle) or a new empty task; never from a setup (its downstream task would
    have to keep all_success)."""
    tasks = spec["tasks"]
    order = list(tasks)
    pair = [b for b in branches if not tasks[b].get("setup")][:2]
    if len(pair) < 2 or rnd.random() < 0.3:
        return edges
    later = [j for j in order[max(map(order.index, pair)) + 1 :] if not any((b, j) in edges for b in pair)]
    join = rnd.choice(later) if later and rnd.random() < 0.5 else new_task(spec, expected, NEW_JOIN)
    spec.setdefault("edges", []).append(f"[{pair[0]}, {pair[1]}] >> {join}")
    return spec_edges(spec)


def warning_at(spec: dict[str, Any], task_id: str) -> tuple[tuple[str, ...], bool]:
    """Where DF306 points for a join: its own trigger_rule's value, else the task's key."""
    if "trigger_rule" in spec["tasks"][task_id]:
        return ("tasks", task_id, "trigger_rule"), False
    return ("tasks", task_id), True


def branching(
    draw: st.DrawFn, spec: dict[str, Any], expected: dict[str, Any], callables: Any
) -> tuple[dict[str, Any], int]:
    """Turn some tasks into branch tasks (``expected`` keyed by spec id, updated); returns the
    DF306 warnings the spec must get, {join task: (path, at its key)}, and how many joins it has."""
    rnd = draw(st.randoms(use_true_random=False))  # uniform choices: Hypothesis favours the first ones
    tasks = spec["tasks"]
    edges = spec_edges(spec)
    after_setup = {d for u, d in edges if tasks[u].get("setup")}
    warned: set[str] = set()
    joined = 0
    made = 0
    for tid in list(tasks):
        below = sorted(d for u, d in edges if u == tid)
        task = tasks[tid]
        if not below or _keeps_its_kind(task) or rnd.random() < 0.4:
            continue
        want = expected[tid]["attrs"]
        for key in OPERATOR_KEYS:
            task.pop(key, None), want.pop(key, None)
        task["operator"] = expected[tid]["class"] = "branch_python"
        task["python_callable"] = want["python_callable"] = draw(callables)
        made += 1
        if rnd.random() < 0.2:
            continue  # branches are optional: nothing is checked without them
        every = rnd.random() < 0.5  # all of them often: two branches that meet make a join
        branches = below if every else rnd.sample(below, rnd.randint(1, len(below)))
        if len(branches) < 2 and rnd.random() < 0.5:  # a second branch, new, so it can join the first
            branches = [*branches, new_task(spec, expected, NEW_BRANCH)]
            spec.setdefault("edges", []).append(f"{tid} >> {branches[-1]}")
            edges = spec_edges(spec)
        task["branches"] = branches
        edges = join_edge(rnd, spec, expected, branches, edges)
        joined += _rule_joins(rnd, spec, expected, edges, tid, branches, after_setup, warned)
    if not made and rnd.random() < 0.7:  # TaskFlow, mapped and result-taking tasks left none: a new one
        tid = new_task(spec, expected, NEW_CHOOSE)
        tasks[tid] = {"operator": "branch_python", "python_callable": draw(callables)}
        expected[tid].update({"class": "branch_python", "attrs": {"python_callable": tasks[tid]["python_callable"]}})
        branches = [new_task(spec, expected, NEW_BRANCH) for _ in range(2)]
        tasks[tid]["branches"] = branches
        spec.setdefault("edges", []).append(f"{tid} >> [{branches[0]}, {branches[1]}]")
        edges = join_edge(rnd, spec, expected, branches, spec_edges(spec))
        joined += _rule_joins(rnd, spec, expected, edges, tid, branches, after_setup, warned)
    return {join: warning_at(spec, join) for join in sorted(warned)}, joined


def _has_reference(value: Any) -> bool:
    """Whether ``value`` holds a reference to another task's result ({xcom: ...}) at any depth."""
    if isinstance(value, dict):
        return "xcom" in value or any(_has_reference(v) for v in value.values())
    return isinstance(value, list) and any(_has_reference(v) for v in value)


def _keeps_its_kind(task: dict[str, Any]) -> bool:
    """Setups, teardowns, TaskFlow and mapped tasks, and tasks taking another task's result (their
    edges come from it) are never turned into branch tasks."""
    return bool({"setup", "teardown", "task", "expand", "expand_kwargs"} & set(task)) or _has_reference(task)


def _rule_joins(
    rnd: random.Random,
    spec: dict[str, Any],
    expected: dict[str, Any],
    edges: set[tuple[str, str]],
    branch_task: str,
    branches: list[str],
    after_setup: set[str],
    warned: set[str],
) -> int:
    """Give each task where two of ``branches`` join a rule that runs after a skipped branch (unless
    it cannot have one: a teardown, a task right after a setup); those still skipping are added to
    ``warned``. Returns how many joins there are."""
    tasks = spec["tasks"]
    found = sorted(joins(edges, branch_task, branches))
    for join in found:
        if join not in after_setup and "teardown" not in tasks[join]:
            tasks[join]["trigger_rule"] = rnd.choice(JOIN_RULES)
            expected[join]["attrs"]["trigger_rule"] = tasks[join]["trigger_rule"]
        if effective_rule(spec, join) in SKIPPING_RULES:
            warned.add(join)
    return len(found)


def mutate(spec: dict[str, Any], expected: dict[str, Any], number: int, callable_ref: str) -> None:
    """The ``number``-th branching mutation: even, a join under all_success (a warning); odd, a
    branch that is not downstream (refused). ``expected`` is the whole expectation of the spec."""
    tasks = spec["tasks"]
    if number % 2:
        target = next(iter(tasks))
        tasks["mutant.branch"] = {"operator": "branch_python", "python_callable": callable_ref, "branches": [target]}
        expected["refused"] = ("DF308", "branches")
        expected["refused_at"] = ("tasks", "mutant.branch", "branches", 0)
        return
    rule = ("all_success", "none_skipped")[number // 2 % 2]
    tasks["mutant.choose"] = {
        "operator": "branch_python",
        "python_callable": callable_ref,
        "branches": ["mutant.a", "mutant.b"],
    }
    tasks["mutant.a"] = {"operator": "empty"}
    tasks["mutant.b"] = {"operator": "empty"}
    tasks["mutant.join"] = {"operator": "empty", "trigger_rule": rule}
    spec.setdefault("edges", []).append("mutant.choose >> [mutant.a, mutant.b] >> mutant.join")
    ups = {"mutant.choose": set(), "mutant.a": {"mutant.choose"}, "mutant.b": {"mutant.choose"}}
    ups["mutant.join"] = {"mutant.a", "mutant.b"}
    for tid, upstream in ups.items():
        kind = "branch_python" if tid == "mutant.choose" else "empty"
        attrs = {"trigger_rule": rule} if tid == "mutant.join" else {}
        expected["tasks"][tid] = {"class": kind, "upstream": upstream, "group": None, "attrs": attrs}
    expected["warned"] = {**expected["warned"], "mutant.join": warning_at(spec, "mutant.join")}
