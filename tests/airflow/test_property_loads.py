"""Compiles => loads => faithful, property-tested in real Airflow (3, and 2 with ``--airflow 2``).

Hypothesis (fixed seed) draws specs that use what the format offers: hostile-but-valid task ids
(builtins, keywords, ``dag``, ``DOC_MD``, the file's own import names), catalog and class-path
operators with generated argument values, callbacks and callables imported from a helper
package whose functions are named like builtins and imports, edges, default_args, params and
lineage, setup and teardown tasks, branch_python tasks whose ``branches:`` are direct downstream
tasks (with trigger rules on the tasks where branches join; see property_branches.py), task groups
(nested, prefixed or not, with default_args and hostile tooltips) named as edge endpoints, labelled
edges, TaskFlow tasks (python, bash, short_circuit; trap-named functions, generated args,
multiple_outputs) and references to earlier tasks' results ({xcom: trap id, key: hostile text},
nested in lists and mappings) in TaskFlow args, bash commands and env, and python op_kwargs (Airflow
must hold the XComArg, its task and key, and the edge it implies), and mapped tasks (expand over 1-3
values of one or two arguments, or expand_kwargs over 1-3 argument sets; the rest partial;
map_index_template, max_active_tis_per_dagrun; some over an earlier task's result, {xcom: task},
whose edge is implied). Each spec comes with what Airflow must hold for it (the oracle is the
strategy itself and an independent reading of groups, not the compiler). A batch is validated and
compiled in-process, then ONE Airflow subprocess fills a DagBag with the whole batch and dumps every
task; the test asserts no import error, the same tasks (group-prefixed ids, their groups), operator
classes, edges, edge labels and argument values (of a mapped task: a MappedOperator holding the
mapped values and the partial arguments). A spec the compiler refuses must be refused with located
diagnostics only; the DF306 warnings a spec gets must be exactly those the oracle expects, at their
line. Mutations must be refused at their field (every fifth spec; and a branch that is not
downstream, DF308) or warned about at it (a join under all_success, DF306). ``dagfactory check``
runs on a sample.

Size: DAGFACTORY_HYPOTHESIS_EXAMPLES // 5 specs on Airflow 3 (default 250 -> 50; CI's 1500 -> 300),
in batches of BATCH; one batch on Airflow 2.
"""

from __future__ import annotations

import json
import keyword
import math
import os
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from dagfactory.diagnostics import has_errors
from dagfactory.emit import compile_specs
from dagfactory.load.config import Config
from dagfactory.load.discover import SpecFile
from dagfactory.load.document import load_file
from dagfactory.targets import AIRFLOW_2
from tests.conftest import property_settings
from tests.test_hardening_injection import assert_ruff_accepts, dump_spec, hostile_text, nonempty_text
from tests.test_hardening_injection import task_id as plain_task_id

from .harness import airflow_env, load_dagbag, run_isolated, scratch_home
from .property_branches import branching
from .property_branches import mutate as mutate_branching
from .test_generated_dags import expected_airflow_view, in_airflow_ids

pytestmark = pytest.mark.airflow

SETTINGS = property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 250)
SPECS = max(SETTINGS.max_examples // 5, 10)
BATCH = 40
HELPERS = "dfprop"  # the helper package the specs' callables live in, written into the dags folder

# Names a generated file binds or uses, builtins, keywords and soft keywords: as task ids, and as
# the names of the helper functions that callbacks import.
TRAP_NAMES = [
    "dag", "DOC_MD", "DAG", "pendulum", "timedelta", "Asset", "Dataset", "datetime", "BashOperator",
    "PythonOperator", "EmptyOperator", "notify", "join", "float", "print", "list", "type", "id", "match",
    "case", "_", "__debug__", "__name__", "__file__", "__builtins__", "dag_task", "float_task", "task", "a_notify",
]  # fmt: skip
ID_TRAPS = [*TRAP_NAMES, "None", "True", "class", "import", "lambda", "1", "0x1", "a.b", "a-b", "-", "..", "x" * 250]
HELPER_MODULES = ("a", "b", "deep.c")
FUNCTIONS = [n for n in TRAP_NAMES if not n.startswith("__")] + ["ok"]

DURATIONS = [("30s", 30), ("5m", 300), ("1h30m", 5400), ("PT5M", 300), (90, 90), ("2d", 172800), ("250ms", 0.25)]
# schedule (as JSON) -> (schedule_kind, schedule) as the Airflow 3 dump shows it
SCHEDULES = {
    '"@daily"': ("preset", "@daily"),
    "null": ("none", None),
    '"0 6 * * 1-5"': ("cron", "0 6 * * 1-5"),
    '{"every": "1h30m"}': ("timedelta", 5400),
}
TRIGGER_RULES = ["all_success", "all_done", "one_failed", "none_failed", "always"]
CLASS_PATHS = {
    "bash": "airflow.providers.standard.operators.bash.BashOperator",
    "python": "airflow.providers.standard.operators.python.PythonOperator",
    "empty": "airflow.providers.standard.operators.empty.EmptyOperator",
}
# TaskFlow flavours drawn, and the module of the decorators' operators on each target.
FLAVOURS = {
    "python": "python._PythonDecoratedOperator",
    "bash": "bash._BashDecoratedOperator",
    "short_circuit": "short_circuit._ShortCircuitDecoratedOperator",
}
# Airflow 2 ships the catalog's core operators in apache-airflow itself.
CATALOG_CLASSES = {
    "3": CLASS_PATHS
    | {"branch_python": "airflow.providers.standard.operators.python.BranchPythonOperator"}
    | {f"taskflow_{f}": f"airflow.providers.standard.decorators.{c}" for f, c in FLAVOURS.items()},
    "2": {k: f"airflow.operators.{k}.{path.rsplit('.', 1)[1]}" for k, path in CLASS_PATHS.items()}
    | {"branch_python": ".".join(AIRFLOW_2.operator_path("branch_python", "", ""))}
    | {f"taskflow_{f}": f"airflow.decorators.{c}" for f, c in FLAVOURS.items()},
}

# A mapping with an `xcom` key is a reference to another task's result: drawn on purpose only.
plain_key = hostile_text.filter(lambda k: k != "xcom")
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_key, inner, max_size=3),
    max_leaves=8,
)
name_key = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(lambda k: k != "xcom")
# The keyword arguments of a TaskFlow call: names Python can pass (not `class`, not `__debug__`).
kwarg_name = name_key.filter(lambda k: not keyword.iskeyword(k) and k != "__debug__")
# Picked with a Hypothesis-seeded Random, not sampled_from: Hypothesis favours a list's first
# elements, and these must all be reached.
ALL_REFS = [f"{HELPERS}.{module}:{function}" for module in HELPER_MODULES for function in FUNCTIONS]
randoms = st.randoms(use_true_random=False)
function_ref = randoms.map(lambda rnd: rnd.choice(ALL_REFS))
callbacks = st.builds(
    lambda rnd, n, single: rnd.choice(ALL_REFS) if single else rnd.sample(ALL_REFS, n),
    randoms,
    st.integers(1, 3),
    st.booleans(),
)
asset_uri = st.from_regex(r"s3://dfprop/[a-z0-9]{1,8}", fullmatch=True)


@st.composite
def task_ids(draw: st.DrawFn) -> list[str]:
    """1-6 unique ids: some traps, some drawn from the id pattern."""
    traps = draw(randoms).sample(ID_TRAPS, draw(st.integers(0, 4)))
    plain = draw(st.lists(plain_task_id, max_size=3))
    ids = list(dict.fromkeys(traps + plain))
    return ids or [draw(plain_task_id)]


def refs(value: str | list[str]) -> list[str]:
    """Callback refs as the dump names them (module:qualname, which our helpers' paths are), as a list."""
    return [value] if isinstance(value, str) else list(value)


@st.composite
def common_args(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """(spec arguments, expected attributes) of BaseOperator arguments."""
    args: dict[str, Any] = {}
    want: dict[str, Any] = {}
    if draw(st.booleans()):
        args["retries"] = want["retries"] = draw(st.integers(0, 10))
    if draw(st.booleans()):
        args["retry_delay"], want["retry_delay"] = draw(st.sampled_from(DURATIONS))
    if draw(st.booleans()):
        args["execution_timeout"], want["execution_timeout"] = draw(st.sampled_from(DURATIONS))
    if draw(st.booleans()):
        args["trigger_rule"] = want["trigger_rule"] = draw(st.sampled_from(TRIGGER_RULES))
    if draw(st.booleans()):
        args["queue"] = want["queue"] = draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True))
    if draw(st.booleans()):
        args["priority_weight"] = want["priority_weight"] = draw(st.integers(-100, 100))
    if draw(st.booleans()):
        args["depends_on_past"] = want["depends_on_past"] = draw(st.booleans())
    if draw(st.booleans()):
        args["doc_md"] = want["doc_md"] = draw(nonempty_text)
    for name in ("on_failure_callback", "on_success_callback", "on_retry_callback"):
        if draw(st.booleans()):
            args[name] = draw(callbacks)
            want[name] = refs(args[name])
    if draw(st.booleans()):
        args["params"] = draw(st.dictionaries(name_key, json_value, max_size=3))
    return args, want


@st.composite
def operator_args(draw: st.DrawFn, kind: str, class_path: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The operator-specific arguments of one task, and what Airflow must hold."""
    args: dict[str, Any] = {}
    if kind == "bash":
        args["bash_command"] = draw(nonempty_text.filter(lambda t: not t.strip().endswith((".sh", ".bash"))))
        if draw(st.booleans()):
            args["env"] = draw(st.dictionaries(name_key, hostile_text, max_size=3))
    elif kind == "python":
        args["python_callable"] = draw(function_ref)
        if draw(st.booleans()):
            args["op_kwargs"] = draw(st.dictionaries(name_key, json_value, max_size=3))
        if draw(st.booleans()):
            args["op_args"] = draw(st.lists(json_value, max_size=3))
        if class_path and draw(st.booleans()):  # free callbacks, imported by their name
            args["on_execute_callback"] = draw(callbacks)
        if class_path and draw(st.booleans()):
            args["on_skipped_callback"] = draw(callbacks)
    want = dict(args)
    for name in ("on_execute_callback", "on_skipped_callback"):
        if name in want:
            want[name] = refs(want[name])
    return args, want


# The arguments of each catalog kind a task may be mapped over (EmptyOperator has none).
MAPPABLE = {"bash": ("bash_command", "env"), "python": ("python_callable", "op_kwargs", "op_args")}


def mapped_value(draw: st.DrawFn, name: str) -> Any:
    """One value of a mapped argument, drawn like the plain argument."""
    if name == "bash_command":
        return draw(nonempty_text.filter(lambda t: not t.strip().endswith((".sh", ".bash"))))
    if name == "env":
        return draw(st.dictionaries(name_key, hostile_text, max_size=3))
    if name == "python_callable":
        return draw(function_ref)
    if name == "op_kwargs":
        return draw(st.dictionaries(name_key, json_value, max_size=3))
    return draw(st.lists(json_value, max_size=3))  # op_args


@st.composite
def mapping(draw: st.DrawFn, kind: str, task: dict[str, Any], want: dict[str, Any]) -> dict[str, Any] | None:
    """Maybe map ``task`` (in place): some of its operator's arguments move into ``expand`` (1-3
    values each) or the task gets ``expand_kwargs`` (1-3 argument sets); the others stay partial.
    Returns what Airflow's MappedOperator must hold, or None for a task left unmapped."""
    names = MAPPABLE.get(kind)
    if not names or draw(st.integers(0, 3)) > 0:
        return None
    partial = {k: want.pop(k) for k in names if k in want}  # checked in partial_kwargs, not as attributes
    if draw(randoms).random() < 0.5:  # not st.booleans(): Hypothesis favours False, and both must be reached
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        expand = {k: [mapped_value(draw, k) for _ in range(draw(st.integers(1, 3)))] for k in chosen}
        task["expand"], kind_name, value = expand, "DictOfListsExpandInput", expand
    else:
        chosen = [names[0]]  # each set gives the required argument (bash_command, python_callable)
        sets = []
        for _ in range(draw(st.integers(1, 3))):
            keys = [names[0], *draw(st.lists(st.sampled_from(names[1:]), max_size=2, unique=True))]
            sets.append({k: mapped_value(draw, k) for k in keys})
        chosen = sorted({k for item in sets for k in item})
        task["expand_kwargs"], kind_name, value = sets, "ListOfDictsExpandInput", sets
    for name in chosen:
        task.pop(name, None)
        partial.pop(name, None)
    if draw(st.booleans()):
        task["map_index_template"] = partial["map_index_template"] = draw(nonempty_text)
    if draw(st.booleans()):
        task["max_active_tis_per_dagrun"] = partial["max_active_tis_per_dagrun"] = draw(st.integers(1, 5))
    return {"kind": kind_name, "expand": value, "partial": partial}


@st.composite
def taskflow_task(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(flavour, the TaskFlow-specific keys of one task, what Airflow must hold)."""
    flavour = draw(randoms).choice(sorted(FLAVOURS))  # each flavour as often (sampled_from favours the first)
    body: dict[str, Any] = {"task": flavour, "callable": draw(function_ref)}
    if draw(st.booleans()):
        body["args"] = draw(st.dictionaries(kwarg_name, json_value, max_size=3))
    want: dict[str, Any] = {"python_callable": body["callable"], "op_kwargs": body.setdefault("args", {})}
    if flavour == "python" and draw(st.booleans()):
        body["multiple_outputs"] = want["multiple_outputs"] = draw(st.booleans())
    if not body["args"] and draw(st.booleans()):
        del body["args"]  # no args: called without arguments
    return flavour, body, want


def reference(draw: st.DrawFn, sources: list[str]) -> Any:
    """{xcom: source} or {xcom: source, key: hostile text}, maybe nested in a list or mapping."""
    ref: dict[str, Any] = {"xcom": draw(st.sampled_from(sources))}
    if draw(st.booleans()):
        ref["key"] = draw(nonempty_text)
    shape = draw(st.integers(0, 2))
    return ref if shape == 0 else [ref, draw(json_value)] if shape == 1 else {draw(hostile_text): ref}


def add_references(draw: st.DrawFn, tasks: dict[str, Any], ids: list[str], kinds: dict[str, str]) -> None:
    """Some tasks take earlier tasks' results (forward only: no cycle by construction) where
    Airflow resolves them: a TaskFlow task's args, a bash task's env or command, a python
    task's op_kwargs. An empty task has no result and is never named."""
    for index, tid in enumerate(ids):
        sources = [s for s in ids[:index] if kinds[s] != "empty"]
        if not sources or draw(st.integers(0, 2)) > 0:
            continue
        task, kind = tasks[tid], kinds[tid]
        if "expand" in task or "expand_kwargs" in task:
            continue  # mapped: its arguments moved into expand (mapped_over_results gives it references)
        if kind == "taskflow":
            task.setdefault("args", {})[draw(kwarg_name)] = reference(draw, sources)
        elif kind == "bash" and draw(st.booleans()):
            task["bash_command"] = {"xcom": draw(st.sampled_from(sources))}
        elif kind == "bash":
            task.setdefault("env", {})[draw(name_key)] = reference(draw, sources)
        elif kind == "python":
            task.setdefault("op_kwargs", {})[draw(name_key)] = reference(draw, sources)


# Mutations that make a spec invalid in the ways that once compiled to broken or unfaithful
# files: (code, field, task); the spec must be refused with that code, naming that field.
BAD_PATHS = ["dfprop.class:ok", "dfprop.a:ｏk", "dfprop.ａ:ok", "dfprop.a:ﬁ", "dfprop.a", "dfprop.a:ok-x", "a..b:ok"]
MUTATIONS = [
    *[("DF206", key, {"operator": CLASS_PATHS["empty"], key: "x"}) for key in ("task_id", "dag", "inlets", "outlets")],
    *[("DF205", "python_callable", {"operator": "python", "python_callable": path}) for path in BAD_PATHS],
    *[
        ("DF205", "on_execute_callback", {"operator": CLASS_PATHS["python"], "python_callable": "dfprop.a:ok", **bad})
        for bad in ({"on_execute_callback": 5}, {"on_execute_callback": {"x": 1}}, {"on_execute_callback": ["x:y", 3]})
    ],
    *[("DF205", "on_failure_callback", {"operator": "empty", "on_failure_callback": path}) for path in BAD_PATHS],
    ("DF311", "task_id", {"operator": "bash", "expand": {"bash_command": ["x"], "task_id": ["a", "b"]}}),
    ("DF311", "retries", {"operator": CLASS_PATHS["bash"], "bash_command": "x", "expand": {"retries": [1, 2]}}),
    ("DF311", "bash_command", {"operator": "bash", "bash_command": "x", "expand": {"bash_command": ["y"]}}),
    ("DF312", "env", {"operator": "bash", "bash_command": "x", "expand": {"env": []}}),
    # references: to no task, where Airflow would not resolve one, malformed; a name Python cannot pass
    ("DF302", "nowhere", {"task": "python", "callable": "dfprop.a:ok", "args": {"a": [{"xcom": "nowhere"}]}}),
    ("DF309", "params", {"operator": "bash", "bash_command": "x", "params": {"p": {"xcom": "nowhere"}}}),
    ("DF309", "kee", {"task": "python", "callable": "dfprop.a:ok", "args": {"a": {"xcom": "x", "kee": "k"}}}),
    ("DF105", "class", {"task": "python", "callable": "dfprop.a:ok", "args": {"class": 1}}),
]


# Group ids that are also names the generated file binds: the one allocator must keep them apart.
GROUP_TRAPS = ["TaskGroup", "Label", "dag", "DAG", "extract", "g-1", "_", "pendulum", "list"]


@st.composite
def grouping(draw: st.DrawFn, ids: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Up to three groups (each maybe in an earlier one) and the tasks' memberships; groups left
    without tasks, and groupings whose Airflow ids would collide or run long, are dropped."""
    names = draw(
        st.lists(
            st.sampled_from(GROUP_TRAPS) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,10}", fullmatch=True),
            max_size=3,
            unique=True,
        )
    )
    names = [n for n in names if n not in ids]
    groups: dict[str, Any] = {}
    for index, name in enumerate(names):
        body: dict[str, Any] = {}
        parent = draw(st.sampled_from([None, *names[:index]]))
        if parent is not None:
            body["group"] = parent
        if draw(st.booleans()):
            body["prefix_group_id"] = draw(st.booleans())
        if draw(st.booleans()):
            body["tooltip"] = draw(hostile_text)
        if draw(st.booleans()):
            body["default_args"] = {"retries": draw(st.integers(0, 10))}
        groups[name] = body
    member = {  # a 250-character id stays out: prefixed, it would be too long (DF305, tested in tests/check)
        tid: g for tid in ids if (g := draw(st.sampled_from([None, *names]))) is not None and len(tid) < 200
    }

    def inside(group: str) -> bool:
        return any(group in chain(groups, g) for g in member.values())

    groups = {g: body for g, body in groups.items() if inside(g)}  # a parent of a used group is used
    probe = {"tasks": {t: {"group": member[t]} if t in member else {} for t in ids}, "groups": groups}
    view = expected_airflow_view(probe)
    used = list(view["ids"].values()) + [
        f"{gid}{suffix}"
        for gid in view["group_ids"].values()
        for suffix in ("", ".upstream_join_id", ".downstream_join_id")
    ]
    if len(set(used)) < len(used) or any(len(i) > 250 for i in view["ids"].values()):
        return {}, {}
    return groups, member


def chain(groups: dict[str, Any], group: str | None) -> list[str]:
    return [group, *chain(groups, groups[group].get("group"))] if group is not None else []


@st.composite
def pipelines(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """(spec, expected) where expected = {"tasks": {id: {class, upstream, attrs}}, "dag": {...}}."""
    ids = draw(task_ids())
    default_args, default_want = {}, {}
    if draw(st.integers(0, 3)) > 0:
        default_args, default_want = draw(common_args())
        default_args.pop("doc_md", None), default_want.pop("doc_md", None)
        default_args.pop("params", None)
    dag_params = draw(st.dictionaries(name_key, json_value, max_size=3))
    owner = draw(nonempty_text)
    tasks: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for tid in ids:
        kind = kinds[tid] = draw(st.sampled_from([*sorted(CLASS_PATHS), "taskflow"]))
        class_path = draw(st.booleans())
        common, common_want = draw(common_args())
        if kind == "taskflow":
            flavour, specific, specific_want = draw(taskflow_task())
            task = {**specific, **common}
            class_name = f"taskflow_{flavour}"
        else:
            specific, specific_want = draw(operator_args(kind, class_path))
            task = {"operator": CLASS_PATHS[kind] if class_path else kind, **specific, **common}
            class_name = CLASS_PATHS[kind] if class_path else kind
        if draw(st.integers(0, 2)) == 0:
            task["inputs"] = draw(st.lists(asset_uri, min_size=1, max_size=2, unique=True))
        if draw(st.integers(0, 2)) == 0:
            task["outputs"] = draw(st.lists(asset_uri, min_size=1, max_size=2, unique=True))
        tasks[tid] = task
        want = {"owner": owner, **default_want, **specific_want, **common_want}
        mapped = draw(mapping(kind, task, want))
        want["params"] = {**dag_params, **common.get("params", {})}
        want["inlets"] = task.get("inputs", [])
        want["outlets"] = task.get("outputs", [])
        expected[tid] = {"class": class_name, "upstream": set(), "attrs": want, "mapped": mapped}
    add_references(draw, tasks, ids, kinds)
    for tid, task in tasks.items():  # references added to arguments the oracle already holds
        want = expected[tid]["attrs"]
        if expected[tid]["mapped"] is not None:
            continue  # a mapped task takes no reference there (its own are drawn by mapped_over_results)
        if kinds[tid] == "taskflow":
            want["op_kwargs"] = task.get("args", {})
            continue
        for name in ("bash_command", "env", "op_kwargs"):
            if name in task:
                want[name] = task[name]
    edges = []
    for down_index in range(1, len(ids)):  # only forward edges: no cycles by construction
        ups = draw(st.lists(st.sampled_from(ids[:down_index]), max_size=2, unique=True))
        if ups:
            edges.append((f"[{', '.join(ups)}]" if len(ups) > 1 else ups[0]) + " >> " + ids[down_index])
            expected[ids[down_index]]["upstream"].update(ups)
    groups, member = draw(grouping(ids))
    for tid, group in member.items():
        tasks[tid]["group"] = group
        if "retries" not in tasks[tid]:  # the innermost group's default_args, over the DAG's
            retries = [
                groups[g]["default_args"]["retries"] for g in chain(groups, group) if "default_args" in groups[g]
            ]
            if retries:
                expected[tid]["attrs"]["retries"] = retries[0]
    position = {tid: index for index, tid in enumerate(ids)}
    for group in groups:  # a group as an endpoint, still only forward: no cycles by construction
        inner = [position[t] for t in ids if group in chain(groups, member.get(t))]
        before, after = ids[: min(inner)], ids[max(inner) + 1 :]
        if before and draw(st.booleans()):
            edges.append(f"{draw(st.sampled_from(before))} >> {group}")
        if after and draw(st.booleans()):
            edges.append(f"{group} >> {draw(st.sampled_from(after))}")
    labelled: list[Any] = []
    for edge in edges:  # some single edges become labelled mappings, some group edges too
        ends = edge.split(" >> ")
        if "[" not in edge and draw(st.integers(0, 2)) == 0:
            labelled.append({"from": ends[0], "to": ends[1], "label": draw(nonempty_text)})
        else:
            labelled.append(edge)
    edges = labelled
    spec: dict[str, Any] = {
        "description": draw(nonempty_text),
        "owner": owner,
        "business_owner": {"name": draw(nonempty_text)},
        "schedule": json.loads(draw(st.sampled_from(sorted(SCHEDULES)))),
        "start_date": "2024-01-01",
        "timezone": draw(st.sampled_from(["UTC", "Asia/Seoul"])),
        "tags": draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=3, unique=True)),
        "params": dag_params,
        "tasks": tasks,
    }
    if default_args:
        spec["default_args"] = default_args
    if groups:
        spec["groups"] = groups
    if edges:
        spec["edges"] = edges
    roles(draw, spec, ids, expected)
    sources = mapped_over_results(draw, spec, ids, expected)
    warned, joins = branching(draw, spec, expected, function_ref)  # after: it leaves mapped tasks alone
    view = expected_airflow_view(spec)  # Airflow ids, groups, edges after group expansion, labels
    for tid, source in sources.items():  # {xcom: source} as the dump shows it: the Airflow id
        mapped = expected[tid]["mapped"]
        mapped["expand"] = json.loads(
            json.dumps(mapped["expand"]).replace(
                json.dumps({"xcom": source}), json.dumps({"xcom": view["ids"][source]})
            )
        )
    for want in expected.values():  # a reference as Airflow holds it: an XComArg of the Airflow task id
        want["attrs"] = {k: in_airflow_ids(v, view["ids"]) for k, v in want["attrs"].items()}
    expected = {
        view["ids"][tid]: want
        | {
            # the spec's edges, and the one a reference implies
            "upstream": {u for u, d in view["edges"] if d == view["ids"][tid]}
            | ({view["ids"][sources[tid]]} if tid in sources else set()),
            "group": view["groups"][view["ids"][tid]],
        }
        for tid, want in expected.items()
    }
    dag = {
        "description": spec["description"],
        "params": dag_params,
        "schedule": SCHEDULES[json.dumps(spec["schedule"])],
        "tags": sorted(spec["tags"]),
        "timezone": spec["timezone"],
    }
    return spec, {
        "tasks": expected,
        "dag": dag,
        "labels": view["labels"],
        "refused": None,
        "warned": warned,  # DF306 warnings the spec must get: {join task: (path, at its key)}
        "joins": joins,
    }


def mapped_over_results(
    draw: st.DrawFn, spec: dict[str, Any], ids: list[str], expected: dict[str, Any]
) -> dict[str, str]:
    """Some mapped tasks map one argument (expand) or their argument sets (expand_kwargs) over an
    earlier task's result, {xcom: source}: the reference implies the edge source >> task (earlier
    in the order: no cycle). Sources are no empty operators (no result); a task right after a
    setup this way gets all_success, as Airflow requires. Returns {task: source}."""
    tasks = spec["tasks"]
    rule = (spec.get("default_args") or {}).get("trigger_rule", "all_success")
    found: dict[str, str] = {}
    for index, tid in enumerate(ids):
        mapped = expected[tid]["mapped"]
        if mapped is None or draw(st.integers(0, 1)) > 0:
            continue
        earlier = [t for t in ids[:index] if "empty" not in tasks[t].get("operator", "")]
        if not earlier:
            continue
        source = draw(st.sampled_from(earlier))
        after_setup = tasks[source].get("setup") and "teardown" not in tasks[tid]
        if after_setup and tasks[tid].get("trigger_rule", rule) != "all_success":  # no group sets one here
            tasks[tid]["trigger_rule"] = expected[tid]["attrs"]["trigger_rule"] = "all_success"
        if "expand" in tasks[tid]:
            name = draw(st.sampled_from(sorted(tasks[tid]["expand"])))
            tasks[tid]["expand"][name] = {"xcom": source}  # the same dict as mapped["expand"]
        else:
            tasks[tid]["expand_kwargs"] = mapped["expand"] = {"xcom": source}
        found[tid] = source
    return found


def roles(draw: st.DrawFn, spec: dict[str, Any], ids: list[str], expected: dict[str, Any]) -> None:
    """Some tasks become setups and, later in the order (no cycles), teardowns of earlier setups;
    a teardown's trigger rule is Airflow's, and a task right after a setup gets all_success."""
    tasks = spec["tasks"]
    setups = [t for t in ids[:-1] if draw(st.integers(0, 3)) == 0]
    for tid in setups:
        tasks[tid]["setup"] = True
        expected[tid]["attrs"]["is_setup"] = True
    for index, tid in enumerate(ids):
        earlier = [s for s in setups if ids.index(s) < index]
        if tid in setups or not earlier or draw(st.integers(0, 2)) > 0:
            continue
        body: dict[str, Any] = {"setups": draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))}
        want = expected[tid]["attrs"]
        if draw(st.booleans()):
            body["on_failure_fail_dagrun"] = want["on_failure_fail_dagrun"] = draw(st.booleans())
        tasks[tid]["teardown"] = body
        tasks[tid].pop("trigger_rule", None)
        want["trigger_rule"], want["is_teardown"] = "all_done_setup_success", True
    view = expected_airflow_view(spec)
    by_airflow_id = {a: t for t, a in view["ids"].items()}
    rule = (spec.get("default_args") or {}).get("trigger_rule", "all_success")
    for up, down in view["edges"]:
        task = tasks[by_airflow_id[down]]
        after_setup = tasks[by_airflow_id[up]].get("setup") and "teardown" not in task
        if after_setup and task.get("trigger_rule", rule) != "all_success":  # no group sets a trigger rule here
            task["trigger_rule"] = expected[by_airflow_id[down]]["attrs"]["trigger_rule"] = "all_success"


def draw_specs(count: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``count`` specs (fewer if Hypothesis runs out of distinct ones), fixed seed. Not shrunk:
    a failure names its spec file, and shrinking would rerun Airflow for every attempt."""
    drawn: list[tuple[dict[str, Any], dict[str, Any]]] = []

    @settings(SETTINGS, max_examples=count, phases=[Phase.generate])
    @given(pipelines())
    def collect(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        drawn.append(pair)

    collect()
    for index, (spec, expected) in enumerate(drawn):  # one writer per asset across the repo (else DF701)
        for task_id, task in spec["tasks"].items():
            if "outputs" in task:
                task["outputs"] = [uri.replace("s3://dfprop/", f"s3://dfprop/p{index}/") for uri in task["outputs"]]
                airflow_id = expected_airflow_view(spec)["ids"][task_id]  # group-prefixed
                expected["tasks"][airflow_id]["attrs"]["outlets"] = task["outputs"]
    for number, (spec, expected) in enumerate(drawn[4::5]):  # every fifth spec, each mutation in turn
        code, field, task = MUTATIONS[number % len(MUTATIONS)]
        spec["tasks"][f"mutant_{field}"] = task
        expected["refused"] = (code, field)
    for number, (spec, expected) in enumerate(drawn[2::5]):  # branching mutations, on other specs
        mutate_branching(spec, expected, number, f"{HELPERS}.a:ok")
    return drawn


def write_helpers(dags: Path) -> None:
    """The package the callbacks import: in the dags folder, as in a real deployment."""
    for module in HELPER_MODULES:
        path = dags / HELPERS / (module.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"def {f}(*args, **kwargs):\n    return None\n\n\n" for f in FUNCTIONS))
    for folder in (dags / HELPERS, dags / HELPERS / "deep"):
        (folder / "__init__.py").write_text("")
    (dags / ".airflowignore").write_text(f"{HELPERS}/\n")


def compile_batch(root: Path, batch: list[tuple[dict[str, Any], dict[str, Any]]], airflow: str) -> dict[str, Any]:
    """Validate and compile each spec of ``batch``; the compiled ones go to root/dags.
    Returns {dag_id: expected} of the specs that compiled."""
    specs, dags = root / "specs", root / "dags"
    specs.mkdir(parents=True)
    write_helpers(dags)
    compiled: dict[str, Any] = {}
    texts: list[str] = []
    for index, (spec, expected) in enumerate(batch):
        path = specs / f"p{index}.yaml"
        path.write_text(dump_spec(spec), encoding="utf-8")
        [result] = compile_specs([SpecFile(path, path.name, PurePosixPath(path.name))], Config(airflow=airflow))
        errors = [d for d in result.diagnostics if d.is_error]
        doc = load_file(path)[0]
        assert doc is not None

        def at(where: tuple[Any, ...], key: bool = False, doc: Any = doc) -> tuple[int, int]:
            _, position = doc.locate(where, key=key)
            return position.line, position.column

        if expected["refused"]:  # refused, for the reason mutated in, with located diagnostics
            code, field = expected["refused"]
            assert result.text is None, errors
            assert all(d.line >= 1 and d.column >= 1 for d in errors), errors
            if "refused_at" in expected:  # at the very item of the field
                assert [d for d in errors if d.code == code and (d.line, d.column) == at(expected["refused_at"])]
            else:
                assert [d for d in errors if d.code == code and field in d.message], (path, errors)
            continue
        assert not has_errors(result.diagnostics), (path, errors)
        warnings = sorted((d.line, d.column, d.severity) for d in result.diagnostics if d.code == "DF306")
        assert warnings == sorted((*at(*w), "warning") for w in expected["warned"].values()), (path, warnings)
        assert result.text is not None
        (dags / f"p{index}.py").write_text(result.text, encoding="utf-8")
        texts.append(result.text)
        for task in expected["tasks"].values():  # a catalog name: the class the target ships it as
            task["class"] = CATALOG_CLASSES[airflow].get(task["class"], task["class"])
        compiled[f"p{index}"] = expected
    assert_ruff_accepts(texts, root / "ruff")  # generated code is already in `ruff format` style
    return compiled


def attrs_file(root: Path, compiled: dict[str, Any]) -> Path:
    wanted = {dag_id: {t: sorted(e["attrs"]) for t, e in exp["tasks"].items()} for dag_id, exp in compiled.items()}
    path = root / "attrs.json"
    path.write_text(json.dumps(wanted), encoding="utf-8")
    return path


def normal(name: str, value: Any) -> Any:
    """A dumped attribute in the form the oracle states it."""
    if name in ("inlets", "outlets"):
        return [a["uri"] if isinstance(a, dict) else a for a in value or []]
    if name.endswith("_callback"):
        return [] if value is None else value if isinstance(value, list) else [value]
    return value


def normal_mapped(value: Any) -> Any:
    """A mapped or partial value as the dump shows it: a callable is `module:qualname`, which is
    the import path the spec wrote for our helpers."""
    if isinstance(value, list):
        return [normal_mapped(v) for v in value]
    if isinstance(value, dict):
        return {k: normal_mapped(v) for k, v in value.items()}
    return value


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: True is not 1, 1 == 1.0 (a float seconds value), NaN is NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def assert_faithful(bag: dict[str, Any], compiled: dict[str, Any], root: Path, check_dag: bool) -> None:
    assert bag["import_errors"] == {}, json.dumps(bag["import_errors"], indent=1)[:6000]
    assert sorted(bag["dags"]) == sorted(compiled)
    for dag_id, expected in compiled.items():
        dag = bag["dags"][dag_id]
        where = f"{dag_id} (spec {root / 'specs' / dag_id}.yaml)"
        if check_dag:
            assert dag["description"] == expected["dag"]["description"], where
            assert same(dag["params"], expected["dag"]["params"]), where
            assert (dag["schedule_kind"], dag["schedule"]) == expected["dag"]["schedule"], where
            assert (dag["tags"], dag["timezone"]) == (expected["dag"]["tags"], expected["dag"]["timezone"]), where
        assert sorted(dag["tasks"]) == sorted(expected["tasks"]), where
        assert dag["edge_labels"] == expected["labels"], where
        for tid, want in expected["tasks"].items():
            got = dag["tasks"][tid]
            assert got["operator_class"] == want["class"], (where, tid)
            assert set(got["upstream"]) == want["upstream"], (where, tid)
            assert got["task_group"] == want["group"], (where, tid)
            mapped = want.get("mapped")
            assert got["is_mapped"] is (mapped is not None), (where, tid)
            if mapped is not None:  # a MappedOperator holding the spec's mapped and partial values
                assert got["expand_kind"] == mapped["kind"], (where, tid)
                assert same(normal_mapped(got["expand"]), mapped["expand"]), (where, tid, got["expand"])
                for name, value in mapped["partial"].items():
                    actual = normal_mapped(got["partial_kwargs"].get(name))
                    assert same(actual, value), f"{where} task {tid!r}: partial {name} is {actual!r}, not {value!r}"
            attrs = dag["spec_attrs"][tid]
            for name, value in want["attrs"].items():
                actual = normal(name, attrs[name])
                assert same(actual, value), f"{where} task {tid!r}: {name} is {actual!r}, the spec says {value!r}"


def branch_stats(drawn: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, int]:
    """How many specs exercise each part of branching (the drawn ones, and the two mutations)."""
    drawn_branches = [
        e for s, e in drawn if any("branches" in t and not tid.startswith("mutant.") for tid, t in s["tasks"].items())
    ]
    return {
        "specs with branches": len(drawn_branches),
        "specs with joins": sum(1 for e in drawn_branches if e["joins"]),
        "joins under all_success (DF306)": sum(1 for _, e in drawn if "mutant.join" in e["warned"]),
        "branches not downstream (DF308)": sum(1 for _, e in drawn if e.get("refused_at")),
    }


def test_every_valid_spec_loads_in_airflow_3_as_written(tmp_path: Path) -> None:
    started = time.monotonic()
    tried = accepted = mapped = results = 0
    kinds: dict[str, int] = {}
    drawn = draw_specs(SPECS)
    for number, batch in enumerate(drawn[i : i + BATCH] for i in range(0, len(drawn), BATCH)):
        root = tmp_path / f"batch{number}"
        compiled = compile_batch(root, batch, "3")
        tried, accepted = tried + len(batch), accepted + len(compiled)
        for expected in compiled.values():
            for task in expected["tasks"].values():
                if task.get("mapped"):
                    mapped += 1
                    kinds[task["mapped"]["kind"]] = kinds.get(task["mapped"]["kind"], 0) + 1
                    results += "xcom" in json.dumps(task["mapped"]["expand"])
        bag = load_dagbag(root / "dags", scratch_home(), attrs=attrs_file(root, compiled))
        assert_faithful(bag, compiled, root, check_dag=True)
    print(
        f"\n[property] Airflow 3: {tried} specs, {accepted} compiled and loaded, {mapped} mapped tasks "
        f"({results} over another task's result) "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), {time.monotonic() - started:.1f}s"
    )
    print(f"[property] branching: {branch_stats(drawn)}")
    assert accepted == tried - sum(1 for _, e in drawn if e["refused"])  # all but the refused mutations
    stats = branch_stats(drawn)
    assert min(stats.values()) > 0, stats
    assert set(kinds) == {"DictOfListsExpandInput", "ListOfDictsExpandInput"}  # both ways of mapping were loaded
    assert results > 0


def test_dagfactory_check_passes_a_sample(tmp_path: Path) -> None:
    """`dagfactory check` ends with exit 0 and no DF900 on specs that validate."""
    batch = draw_specs(8)
    compiled = compile_batch(tmp_path, batch, "3")
    for refused in {f"p{i}" for i in range(len(batch))} - set(compiled):
        (tmp_path / "specs" / f"{refused}.yaml").unlink()
    write_helpers(tmp_path / "generated_dags")
    cli = Path(sys.executable).with_name("dagfactory")
    env = airflow_env(scratch_home()) | {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([str(cli), "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "DF900" not in proc.stderr + proc.stdout
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert f"checked {len(compiled)} specs in Airflow: 0 errors" in proc.stderr


def test_every_valid_spec_loads_in_airflow_2_as_written(tmp_path: Path) -> None:
    from tests.airflow2.venv import ensure_venv

    python = ensure_venv()
    started = time.monotonic()
    batch = draw_specs(BATCH)
    compiled = compile_batch(tmp_path, batch, "2")
    dags = tmp_path / "dags"
    dump = Path(__file__).resolve().parents[1] / "airflow2" / "dagbag2_dump.py"
    env = airflow_env(tmp_path / "home", dags) | {"PYTHONPATH": str(dags)}
    proc = run_isolated([str(python), str(dump), str(dags), str(attrs_file(tmp_path, compiled))], env, 300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    bag = json.loads(proc.stdout)
    assert_faithful(bag, compiled, tmp_path, check_dag=False)
    print(f"\n[property] Airflow 2: {len(batch)} specs, {len(compiled)} loaded, {time.monotonic() - started:.1f}s")
    print(f"[property] branching: {branch_stats(batch)}")
    assert len(compiled) == len(batch) - sum(1 for _, e in batch if e["refused"])
    stats = branch_stats(batch)
    assert min(stats.values()) > 0, stats


def test_check_locates_class_paths_that_are_no_operator_class(tmp_path: Path) -> None:
    """Valid specs whose class path names a function, or a class that is no operator: DF502 at
    the `operator:` line (the check's worker crashed on them: DF900)."""
    from tests.conftest import MINIMAL_HEAD

    (tmp_path / "specs").mkdir()
    for name, operator in (("fn", "os.path.join"), ("cls", "collections.OrderedDict")):
        text = MINIMAL_HEAD + f"tasks:\n  t:\n    operator: {operator}\n"
        (tmp_path / "specs" / f"{name}.yaml").write_text(text, encoding="utf-8")
    cli = Path(sys.executable).with_name("dagfactory")
    env = airflow_env(scratch_home()) | {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [str(cli), "check", "--format", "json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert "DF900" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 1, proc.stderr[-3000:]
    found = [(d["path"], d["code"], d["line"], d["column"], d["message"]) for d in json.loads(proc.stdout)]
    assert found == [
        ("specs/cls.yaml", "DF502", 9, 15, "task 't': OrderedDict made no Airflow task; is it an operator class?"),
        ("specs/fn.yaml", "DF502", 9, 15, "task 't': join is not a class: os.path.join is a function"),
    ]
