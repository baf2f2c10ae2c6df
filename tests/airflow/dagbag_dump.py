"""Fill a real Airflow DagBag from a folder and print what it holds as ONE JSON document.

Usage: python tests/airflow/dagbag_dump.py DAGS_FOLDER [ATTRS_JSON]

ATTRS_JSON (optional) names more task attributes to dump, {dag_id: {task_id: [attr, ...]}}: the
arguments a spec gave, which the property harness compares (tests/airflow/test_property_loads.py).

Run it in a subprocess (``harness.load_dagbag`` does): importing Airflow costs seconds and
mutates global state (logging, warnings hooks, config), which we keep out of pytest's process.
Stdout carries only the JSON; everything Airflow or the DAG files print goes to stderr.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

JSON = Any  # a value json.dumps accepts


# ----------------------------------------------------------------------------- JSON-safe values


def callable_ref(fn: Any) -> str:
    """'module:qualname' names a callable the way a generated file imports it."""
    module = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return f"{module}:{qualname}"


def asset_ref(obj: Any) -> dict[str, JSON]:
    return {"uri": getattr(obj, "uri", None), "name": getattr(obj, "name", None)}


def is_asset_like(obj: Any) -> bool:
    # Asset, AssetAlias, Dataset (no name on Airflow 2)...: duck-typed so the dump survives SDK class moves.
    return hasattr(obj, "uri") and not isinstance(obj, (str, bytes))


def seconds(delta: dt.timedelta) -> int | float:
    total = delta.total_seconds()
    return int(total) if total.is_integer() else total


def jsonable(value: Any, depth: int = 0) -> JSON:
    """Turn any attribute value into plain JSON; unknown types fall back to repr."""
    if depth > 20:  # self-referencing structures: stop rather than recurse forever
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value, depth + 1)
    if isinstance(value, dt.timedelta):
        return seconds(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if type(value).__name__ in ("PlainXComArg", "XComArg"):  # another task's result: {xcom, key}
        key = getattr(value, "key", None)
        ref: dict[str, JSON] = {"xcom": value.operator.task_id}
        return ref if key in (None, "return_value") else ref | {"key": key}
    if hasattr(value, "dump") and type(value).__name__ == "ParamsDict":
        return jsonable(value.dump(), depth + 1)
    if is_asset_like(value):
        return asset_ref(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v, depth + 1) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, dt.tzinfo):  # pendulum Timezone / zoneinfo: the IANA name
        return str(getattr(value, "name", None) or getattr(value, "key", None) or value)
    if callable(value) and hasattr(value, "__qualname__"):
        return callable_ref(value)
    return repr(value)


def safe(getter: Callable[[], Any]) -> JSON:
    """One broken attribute (e.g. on a MappedOperator) must not lose the whole dump."""
    try:
        return jsonable(getter())
    except Exception as exc:  # recorded, not hidden
        return f"<error {type(exc).__name__}: {exc}>"


# ----------------------------------------------------------------------------- schedules


def asset_condition(cond: Any) -> JSON:
    """Nested {'all'|'any': [...]} / {'uri','name'} tree of an asset schedule."""
    if is_asset_like(cond):
        return asset_ref(cond)
    objects = getattr(cond, "objects", None)
    if objects is not None:
        kind = "any" if "Any" in type(cond).__name__ else "all"
        return {kind: [asset_condition(o) for o in objects]}
    return repr(cond)


def asset_uris(cond: Any) -> list[str]:
    if is_asset_like(cond):
        return [cond.uri]
    return [uri for o in getattr(cond, "objects", []) or [] for uri in asset_uris(o)]


def schedule_info(dag: Any) -> dict[str, JSON]:
    """schedule as the author wrote it, plus a kind so tests need not guess from the type."""
    sched = dag.schedule
    timetable = dag.timetable
    if sched is None:
        return {"schedule": None, "schedule_kind": "none"}
    if isinstance(sched, str):
        kind = "preset" if sched.startswith("@") else "cron"
        return {"schedule": sched, "schedule_kind": kind}
    if isinstance(sched, dt.timedelta):
        return {"schedule": seconds(sched), "schedule_kind": "timedelta"}
    cond = getattr(timetable, "asset_condition", None)
    if type(timetable).__name__ == "AssetTriggeredTimetable" and cond is not None:
        return {
            "schedule": asset_uris(cond),
            "schedule_kind": "assets",
            "asset_condition": asset_condition(cond),
        }
    summary = getattr(timetable, "summary", None)
    return {"schedule": summary or repr(sched), "schedule_kind": "timetable"}


# ----------------------------------------------------------------------------- DAGs and tasks


def params_detail(params: Any) -> dict[str, JSON]:
    """Per-param schema/description: the values alone hide a lost `type` or `enum`."""
    values = params.dump()
    out: dict[str, JSON] = {}
    for name in params:
        param = params.get_param(name)
        out[name] = {
            "value": jsonable(values.get(name)),
            "description": safe(lambda p=param: p.description),
            "schema": safe(lambda p=param: p.schema),
        }
    return out


def task_info(task: Any) -> dict[str, JSON]:
    mapped = any(c.__name__ == "MappedOperator" for c in type(task).__mro__)  # TaskFlow: a subclass
    cls = task.operator_class if mapped else type(task)  # a mapped task: the class it maps
    info: dict[str, JSON] = {
        "operator_class": f"{cls.__module__}.{cls.__qualname__}",
        "downstream": sorted(task.downstream_task_ids),
        "upstream": sorted(task.upstream_task_ids),
    }
    plain = [
        "owner", "retries", "depends_on_past", "trigger_rule", "queue", "pool", "pool_slots",
        "priority_weight", "weight_rule", "doc_md", "email", "task_display_name",
        "retry_exponential_backoff", "wait_for_downstream", "is_setup", "is_teardown",
        "on_failure_fail_dagrun",
    ]  # fmt: skip
    for attr in plain:
        info[attr] = safe(lambda a=attr: getattr(task, a, None))
    info["task_group"] = safe(lambda: task.task_group.group_id if task.task_group is not None else None)
    info["retry_delay_seconds"] = safe(lambda: task.retry_delay)
    info["execution_timeout_seconds"] = safe(lambda: task.execution_timeout)
    info["params"] = safe(lambda: task.params)
    info["inlets"] = safe(lambda: list(task.inlets or []))
    info["outlets"] = safe(lambda: list(task.outlets or []))
    info["template_fields"] = safe(lambda: list(task.template_fields))
    info["templated"] = {f: safe(lambda f=f: getattr(task, f, None)) for f in task.template_fields}
    info["is_mapped"] = mapped
    if mapped:  # Op.partial(...).expand(...): what each map index gets, and what all share
        info["expand_kind"] = type(
            getattr(task, task._expand_input_attr)
        ).__name__  # DictOfListsExpandInput | ListOfDictsExpandInput
        info["expand"] = safe(lambda: getattr(task, task._expand_input_attr).value)
        info["partial_kwargs"] = safe(lambda: task.partial_kwargs)
        info["templated"] = {f: safe(lambda f=f: task.partial_kwargs.get(f)) for f in task.template_fields}
        info["map_index_template"] = safe(lambda: task.partial_kwargs.get("map_index_template"))
        info["max_active_tis_per_dagrun"] = safe(lambda: task.max_active_tis_per_dagrun)
    fn = getattr(task, "python_callable", None)
    if fn is not None:
        info["python_callable"] = callable_ref(fn)
    return info


def spec_attrs(dag: Any, wanted: Mapping[str, Mapping[str, list[str]]]) -> dict[str, dict[str, JSON]]:
    """task_id -> {attr: value} for the attributes ``wanted`` lists for this DAG."""
    tasks = wanted.get(dag.dag_id, {})
    return {
        t.task_id: {a: safe(lambda a=a, t=t: getattr(t, a)) for a in tasks.get(t.task_id, [])}
        for t in dag.tasks
        if t.task_id in tasks
    }


def dag_info(dag: Any) -> dict[str, JSON]:
    info: dict[str, JSON] = {
        "fileloc": dag.fileloc,
        "description": dag.description,
        **schedule_info(dag),
        "timetable_class": f"{type(dag.timetable).__module__}.{type(dag.timetable).__qualname__}",
        "timetable_summary": safe(lambda: getattr(dag.timetable, "summary", None)),
        # Cron timetables normalise presets: "@daily" is kept in `schedule`, "0 0 * * *" here.
        "timetable_expression": safe(lambda: getattr(dag.timetable, "expression", None)),
        "start_date": safe(lambda: dag.start_date),
        # Airflow stores start_date in UTC; the local form is what the spec author wrote.
        "start_date_local": safe(lambda: dag.start_date and dag.start_date.in_timezone(dag.timezone)),
        "end_date": safe(lambda: dag.end_date),
        "timezone": safe(lambda: dag.timezone.name),
        "tags": sorted(dag.tags or []),
        "default_args": safe(lambda: dag.default_args),
        "params": safe(lambda: dag.params.dump()),
        "params_detail": safe(lambda: params_detail(dag.params)),
        "user_defined_macros": safe(lambda: dag.user_defined_macros),
        "user_defined_filters": safe(lambda: dag.user_defined_filters),
        "dagrun_timeout_seconds": safe(lambda: dag.dagrun_timeout),
    }
    plain = [
        "catchup", "max_active_runs", "max_active_tasks", "owner", "doc_md", "dag_display_name",
        "is_paused_upon_creation", "render_template_as_native_obj", "template_searchpath",
        "fail_fast",
    ]  # fmt: skip
    for attr in plain:
        info[attr] = safe(lambda a=attr: getattr(dag, a, None))
    info["tasks"] = {t.task_id: task_info(t) for t in dag.tasks}
    info["edge_labels"] = safe(lambda: edge_labels(dag))
    return info


def edge_labels(dag: Any) -> dict[str, str]:
    """'up >> down' -> label, for every labelled edge Airflow keeps (a group end is its join id)."""
    return {
        f"{up} >> {down}": info["label"]
        for up, downs in sorted(dag.edge_info.items())
        for down, info in sorted(downs.items())
        if info.get("label") is not None
    }


def serialization_error(dag: Any) -> str | None:
    """The dag-processor serializes every DAG; a DAG that only fails there never shows in the bag."""
    from airflow.serialization.serialized_objects import DagSerialization

    try:
        DagSerialization.to_dict(dag)
    except Exception:  # the traceback is the result
        return traceback.format_exc()
    return None


# ----------------------------------------------------------------------------- warnings


def warning_record(w: warnings.WarningMessage, real_types: Mapping[tuple, str]) -> dict[str, JSON]:
    cat = w.category
    name = cat.__name__ if cat.__module__ == "builtins" else f"{cat.__module__}.{cat.__qualname__}"
    key = (w.filename, w.lineno, str(w.message))
    # DagBag re-emits a DAG file's warnings as UserWarning; restore the category it captured.
    name = real_types.get(key, name) if cat is UserWarning else name
    return {"category": name, "filename": w.filename, "lineno": w.lineno, "message": str(w.message)}


CAPTURED = re.compile(r"^(?P<file>.*?):(?P<line>\d+|None): (?P<type>[\w.]+): (?P<msg>.*)$", re.S)


def captured_types(captured: Mapping[str, Iterable[str]]) -> dict[tuple, str]:
    """(file, line, message) -> category name, parsed from DagBag.captured_warnings strings."""
    out: dict[tuple, str] = {}
    for lines in captured.values():
        for text in lines:
            if m := CAPTURED.match(text):
                line = 0 if m["line"] == "None" else int(m["line"])
                out[(m["file"], line, m["msg"])] = m["type"]
    return out


def dedupe(records: Iterable[dict[str, JSON]]) -> list[dict[str, JSON]]:
    seen: set[str] = set()
    out = []
    for rec in records:
        key = json.dumps(rec, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(rec)
    return out


# ----------------------------------------------------------------------------- main


def fill(folder: str, wanted: Mapping[str, Mapping[str, list[str]]] | None = None) -> dict[str, JSON]:
    late: list[warnings.WarningMessage] = []

    def record(message, category, filename, lineno, file=None, line=None) -> None:
        late.append(warnings.WarningMessage(message, category, filename, lineno, file, line))

    with warnings.catch_warnings(record=True) as early:
        warnings.simplefilter("always")
        t0 = time.monotonic()
        from airflow.dag_processing.dagbag import BundleDagBag

        t1 = time.monotonic()
        # Importing Airflow replaces warnings.showwarning (rich console / structlog) and adds
        # filters, which would silently stop our recording: take the hook back.
        warnings.showwarning = record
        warnings.simplefilter("always")
        # An absolute folder makes every fileloc and import_errors key absolute. BundleDagBag is
        # what Airflow 3's dag-processor and `airflow dags test` use: it puts the bundle (dags
        # folder) on sys.path, so packages inside it (shared callables) import as in production.
        root = os.path.abspath(folder)
        bag = BundleDagBag(dag_folder=root, bundle_path=Path(root))
        t2 = time.monotonic()
        dags = {dag_id: dag_info(bag.dags[dag_id]) for dag_id in sorted(bag.dags)}
        for dag_id in dags if wanted else ():
            dags[dag_id]["spec_attrs"] = spec_attrs(bag.dags[dag_id], wanted or {})
        ser_errors = {d: e for d in sorted(bag.dags) if (e := serialization_error(bag.dags[d]))}
    real_types = captured_types(bag.captured_warnings)
    return {
        "dag_folder": os.path.abspath(folder),
        "import_errors": dict(sorted(bag.import_errors.items())),
        "serialization_errors": ser_errors,
        "warnings": dedupe(warning_record(w, real_types) for w in [*early, *late]),
        "dags": dags,
        "timing_seconds": {"import_airflow": round(t1 - t0, 3), "fill_dagbag": round(t2 - t1, 3)},
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(f"usage: {argv[0]} DAGS_FOLDER [ATTRS_JSON]", file=sys.stderr)
        return 2
    # Keep stdout JSON-only: point fd 1 (and sys.stdout) at stderr while Airflow and the DAG
    # files run, so even prints and child processes cannot corrupt the document.
    sys.stdout.flush()
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    wanted = json.loads(Path(argv[2]).read_text(encoding="utf-8")) if len(argv) == 3 else None
    result = fill(argv[1], wanted)
    json.dump(result, real_stdout, indent=1, sort_keys=False, default=repr)
    real_stdout.write("\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
