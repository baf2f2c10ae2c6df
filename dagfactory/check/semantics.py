"""The checks a JSON Schema cannot express: cron fields, time zones, durations, dates,
import paths, deprecated arguments and secrets. Each reports at the value's line."""

from __future__ import annotations

import functools
import keyword
from datetime import datetime, timedelta
from typing import Any

from dagfactory.check.cron import CronNotPortable, check_cron, preset_alias
from dagfactory.check.groups import check_groups
from dagfactory.check.mapping import check_mapping, mapped_values
from dagfactory.check.moments import latest_utc, local_time_problem, timezone_problem
from dagfactory.check.references import check_references
from dagfactory.check.schema import DATE_PATTERN, DURATION_PATTERN, PATTERN_HINTS, SCHEDULE_PRESETS
from dagfactory.check.secrets import find_secrets
from dagfactory.check.teardown import check_setup_teardown
from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.load.document import Document, JsonPath
from dagfactory.load.files import scope_of
from dagfactory.load.references import file_references, read_referenced
from dagfactory.operators import CATALOG, task_arg_kinds
from dagfactory.operators.base import COMMON_ARGS, RENDERED_ARGS, Operator, class_path_arg_kind
from dagfactory.targets import AIRFLOW_3
from dagfactory.values import parse_date, parse_duration, parse_import_path


def check_semantics(doc: Document) -> list[Diagnostic]:
    data: dict[str, Any] = doc.data
    out: list[Diagnostic] = []
    _check_schedule(doc, data, out)
    _check_dates(doc, data, out)
    for name in ("dagrun_timeout",):
        _check_typed(doc, (name,), data.get(name), "duration", out)
    _check_default_args(doc, ("default_args",), data.get("default_args"), out)
    groups = data.get("groups")
    for group_id, group in groups.items() if isinstance(groups, dict) else ():
        if isinstance(group, dict):
            _check_default_args(doc, ("groups", group_id, "default_args"), group.get("default_args"), out)
    out.extend(check_groups(doc))
    out.extend(check_setup_teardown(doc))
    out.extend(check_mapping(doc))
    tasks = data.get("tasks")
    if isinstance(tasks, dict):
        for task_id, task in tasks.items():
            if isinstance(task, dict):
                _check_task(doc, task_id, task, out)
    out.extend(check_references(doc))
    out.extend(find_secrets(doc))
    return out


def _check_default_args(doc: Document, path: JsonPath, args: Any, out: list[Diagnostic]) -> None:
    """The DAG's or a group's default_args: the same kinds as every task's common arguments."""
    if isinstance(args, dict):
        kinds = {a.name: a.kind for a in COMMON_ARGS}
        for key, value in args.items():
            _check_typed(doc, (*path, key), value, kinds.get(key), out)
            _check_deprecated(doc, (*path, key), key, out)


def _check_schedule(doc: Document, data: dict[str, Any], out: list[Diagnostic]) -> None:
    schedule = data.get("schedule")
    if isinstance(schedule, str):
        problem = _schedule_problem(schedule)
        if problem is not None:
            out.append(doc.diagnostic(("schedule",), "DF201", problem[0], hint=problem[1]))
        if schedule == "@continuous" and data.get("max_active_runs") != 1:
            out.append(
                doc.diagnostic(
                    ("schedule",),
                    "DF206",
                    "@continuous needs `max_active_runs: 1`",
                    hint="Airflow refuses a continuous DAG that may run more than once at a time",
                )
            )
    elif isinstance(schedule, dict):
        _check_typed(doc, ("schedule", "every"), schedule.get("every"), "duration", out)


def _schedule_problem(schedule: str) -> tuple[str, str] | None:
    """(message, hint) of a schedule string Airflow would refuse or misread, else None."""
    if schedule.startswith("@"):
        if schedule in SCHEDULE_PRESETS:
            return None
        alias = preset_alias(schedule)
        if alias is not None:
            return f"schedule {schedule!r} is spelt {alias!r} here", f"write {alias!r}: one spelling per schedule"
        hint = did_you_mean(schedule, list(SCHEDULE_PRESETS)) or f"use one of {', '.join(SCHEDULE_PRESETS)}"
        return f"unknown schedule preset {schedule!r}", hint
    try:
        check_cron(schedule)
    except CronNotPortable as exc:
        return str(exc), 'write it with the standard five fields, e.g. "0 6 * * 1-5" (06:00 on weekdays)'
    except ValueError as exc:
        return str(exc), 'e.g. "0 6 * * *" runs every day at 06:00'
    return None


def _check_dates(doc: Document, data: dict[str, Any], out: list[Diagnostic]) -> None:
    tz = data.get("timezone")
    problem = None
    if isinstance(tz, str):
        problem = timezone_problem(tz)
        if problem is not None:
            hint = _timezone_hint(tz) if not problem[1] else "use an IANA name such as Europe/Berlin or UTC"
            out.append(doc.diagnostic(("timezone",), "DF202", problem[0], hint=hint))
    zone = tz if isinstance(tz, str) and problem is None else "UTC"
    parsed = {}
    for name in ("start_date", "end_date"):
        value = data.get(name)
        if isinstance(value, str):
            try:
                parsed[name] = parse_date(value)
            except ValueError as exc:
                out.append(doc.diagnostic((name,), "DF204", str(exc), hint=PATTERN_HINTS[DATE_PATTERN]))
                continue
            local = local_time_problem(parsed[name], zone)
            if local is not None:
                out.append(doc.diagnostic((name,), "DF204", local, hint="write a local time that exists in the zone"))
                del parsed[name]
    if len(parsed) == 2 and parsed["end_date"] < parsed["start_date"]:
        hint = "set end_date after start_date, or remove it"
        out.append(doc.diagnostic(("end_date",), "DF206", "end_date is before start_date", hint=hint))
    _check_first_interval(doc, data, parsed.get("start_date"), zone, out)


def _check_first_interval(
    doc: Document, data: dict[str, Any], start: datetime | None, zone: str, out: list[Diagnostic]
) -> None:
    """`every:` must be longer than zero, and the first interval must end before the year 10000."""
    schedule = data.get("schedule")
    every = schedule.get("every") if isinstance(schedule, dict) else None
    try:
        delta = parse_duration(every).to_timedelta()
    except ValueError:
        return  # not a duration: reported by _check_typed
    path = ("schedule", "every")
    if delta <= timedelta(0):
        out.append(doc.diagnostic(path, "DF203", "a schedule interval must be longer than zero", hint="e.g. 30m or 1d"))
    elif start is not None and (late := latest_utc(start, zone, delta)) is not None:
        out.append(doc.diagnostic(path, "DF203", late, hint="use a shorter interval or an earlier start_date"))


def _timezone_hint(name: str) -> str:
    return did_you_mean(name, sorted(_all_timezones())) or "use an IANA name such as Asia/Seoul or UTC"


@functools.lru_cache(maxsize=1)
def _all_timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


# Checked for Airflow 3, the target with deprecations; check_document drops DF207 for the others.
DEPRECATED_TASK_ARGS = AIRFLOW_3.deprecated_task_args


def _check_deprecated(doc: Document, path: JsonPath, key: str, out: list[Diagnostic]) -> None:
    if key in DEPRECATED_TASK_ARGS:
        out.append(
            doc.diagnostic(
                path,
                "DF207",
                f"`{key}` is deprecated in Airflow 3 and warns at parse time",
                key=True,
                severity="warning",
                hint=DEPRECATED_TASK_ARGS[key],
            )
        )


def _check_task(doc: Document, task_id: str, task: dict[str, Any], out: list[Diagnostic]) -> None:
    operator = task.get("operator")
    kinds = task_arg_kinds(task)
    is_class_path = isinstance(operator, str) and operator not in CATALOG
    for key, value in task.items():
        path = ("tasks", task_id, key)
        if is_class_path and key not in kinds and (keyword.iskeyword(key) or key == "__debug__"):
            what = "a Python keyword" if key != "__debug__" else "a name Python never assigns"
            hint = "the operator cannot take it as a keyword argument: remove it, or check the class's signature"
            out.append(doc.diagnostic(path, "DF105", f"argument name {key!r} is {what}", key=True, hint=hint))
        if is_class_path and key in RENDERED_ARGS:
            message = f"task {task_id!r}: `{key}` is set by the compiler; it cannot be given as an argument"
            out.append(doc.diagnostic(path, "DF206", message, key=True, hint=RENDERED_ARGS[key]))
        _check_typed(doc, path, value, kinds.get(key), out)
        _check_deprecated(doc, path, key, out)
    taskflow = "task" in task and "operator" not in task  # its mapped values are function arguments: untyped
    for where, key, value in () if taskflow else mapped_values(task_id, task):  # each value of a mapped argument
        _check_typed(doc, where, value, kinds.get(key) or (class_path_arg_kind(key) if is_class_path else None), out)
    if isinstance(operator, str) and operator in CATALOG:
        out.extend(check_task_args(doc, task_id, task, CATALOG[operator]))
    args = task.get("args") if "task" in task and "operator" not in task else None
    for key in args if isinstance(args, dict) else ():
        if isinstance(key, str) and (keyword.iskeyword(key) or key == "__debug__"):
            out.append(
                doc.diagnostic(
                    ("tasks", task_id, "args", key),
                    "DF105",
                    f"task {task_id!r}: {key!r} cannot be a keyword argument's name in Python",
                    key=True,
                    hint="rename the function's parameter",
                )
            )


def _check_typed(doc: Document, path: JsonPath, value: Any, kind: str | None, out: list[Diagnostic]) -> None:
    if value is None or kind is None:
        return
    if kind == "duration" and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            parse_duration(value)
        except ValueError as exc:
            out.append(doc.diagnostic(path, "DF203", str(exc), hint=PATTERN_HINTS[DURATION_PATTERN]))
    elif kind in ("callable", "callables"):
        _check_import_paths(doc, path, value, kind, out)


def _check_import_paths(doc: Document, path: JsonPath, value: Any, kind: str, out: list[Diagnostic]) -> None:
    """Each import path of a callable argument; messages name the argument (``python_callable: ...``)."""
    field = next(str(p) for p in reversed(path) if isinstance(p, str))
    hint = "put the function in a module Airflow can import and name it as package.module:function"
    items = value if isinstance(value, list) and kind == "callables" else [value]
    for index, item in enumerate(items):
        item_path = (*path, index) if item is not value else path
        if not isinstance(item, str):  # the schema types catalog arguments; a class path's are free
            message = f"{field}: expected an import path package.module:function, not {type(item).__name__}"
            out.append(doc.diagnostic(item_path, "DF205", message, hint=hint))
            continue
        try:
            parse_import_path(item)
        except ValueError as exc:
            out.append(doc.diagnostic(item_path, "DF205", f"{field}: {exc}", hint=hint))


def check_task_args(doc: Document, task_id: str, task: dict[str, Any], op: Operator) -> list[Diagnostic]:
    """Unreadable referenced files, and an argument given under both its names."""
    out: list[Diagnostic] = []
    scope = scope_of(doc)
    for path, arg, name in file_references(task_id, task, op):
        try:
            read_referenced(scope, name)
        except ValueError as exc:
            out.append(
                doc.diagnostic(
                    path,
                    "DF208",
                    str(exc),
                    hint=f"a string ending in {arg.file_suffix} names a regular file relative to the spec, "
                    "inside the specs folder or a folder of `include_roots`; write the SQL itself otherwise",
                )
            )
    for arg in op.args:
        if arg.emit_as and arg.emit_as in task:
            out.append(
                doc.diagnostic(
                    ("tasks", task_id, arg.name),
                    "DF206",
                    f"task {task_id!r}: {arg.name!r} and {arg.emit_as!r} are the same argument",
                    key=True,
                    hint=f"keep only {arg.emit_as!r}",
                )
            )
    return out
