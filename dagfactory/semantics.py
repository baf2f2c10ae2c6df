"""The checks a JSON Schema cannot express: cron fields, time zones, durations, dates,
import paths, deprecated arguments and secrets. Each reports at the value's line."""

from __future__ import annotations

import functools
import keyword
from typing import Any

from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.loader import Document, JsonPath
from dagfactory.operators import CATALOG, COMMON_ARGS, RENDERED_ARGS, TASK_ONLY_ARGS, class_path_arg_kind
from dagfactory.operators.args import check_task_args
from dagfactory.schema import DATE_PATTERN, DURATION_PATTERN, PATTERN_HINTS, SCHEDULE_PRESETS
from dagfactory.secrets import find_secrets
from dagfactory.values import check_cron, parse_date, parse_duration, parse_import_path

_TASK_ARG_KINDS: dict[str, str] = {a.name: a.kind for a in COMMON_ARGS + TASK_ONLY_ARGS}


def _arg_kinds(task: dict[str, Any]) -> dict[str, str]:
    operator = task.get("operator")
    op = CATALOG.get(operator) if isinstance(operator, str) else None
    kinds = dict(_TASK_ARG_KINDS)
    if op:
        kinds |= {a.name: a.kind for a in op.args}
    elif isinstance(operator, str):  # a class path: its free arguments are read by name
        kinds |= {k: kind for k in task if k not in kinds and (kind := class_path_arg_kind(k))}
    return kinds


def check_semantics(doc: Document) -> list[Diagnostic]:
    data: dict[str, Any] = doc.data
    out: list[Diagnostic] = []
    _check_schedule(doc, data, out)
    _check_dates(doc, data, out)
    for name in ("dagrun_timeout",):
        _check_typed(doc, (name,), data.get(name), "duration", out)
    if isinstance(data.get("default_args"), dict):
        kinds = {a.name: a.kind for a in COMMON_ARGS}
        for key, value in data["default_args"].items():
            _check_typed(doc, ("default_args", key), value, kinds.get(key), out)
            _check_deprecated(doc, ("default_args", key), key, out)
    tasks = data.get("tasks")
    if isinstance(tasks, dict):
        for task_id, task in tasks.items():
            if isinstance(task, dict):
                _check_task(doc, task_id, task, out)
    out.extend(find_secrets(doc))
    return out


def _check_schedule(doc: Document, data: dict[str, Any], out: list[Diagnostic]) -> None:
    schedule = data.get("schedule")
    if isinstance(schedule, str):
        if schedule.startswith("@"):
            if schedule not in SCHEDULE_PRESETS:
                out.append(
                    doc.diagnostic(
                        ("schedule",),
                        "DF201",
                        f"unknown schedule preset {schedule!r}",
                        hint=did_you_mean(schedule, list(SCHEDULE_PRESETS))
                        or f"use one of {', '.join(SCHEDULE_PRESETS)}",
                    )
                )
        else:
            try:
                check_cron(schedule)
            except ValueError as exc:
                out.append(
                    doc.diagnostic(("schedule",), "DF201", str(exc), hint='e.g. "0 6 * * *" runs every day at 06:00')
                )
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


def _check_dates(doc: Document, data: dict[str, Any], out: list[Diagnostic]) -> None:
    parsed = {}
    for name in ("start_date", "end_date"):
        value = data.get(name)
        if isinstance(value, str):
            try:
                parsed[name] = parse_date(value)
            except ValueError as exc:
                out.append(doc.diagnostic((name,), "DF204", str(exc), hint=PATTERN_HINTS[DATE_PATTERN]))
    if len(parsed) == 2 and parsed["end_date"] < parsed["start_date"]:
        out.append(doc.diagnostic(("end_date",), "DF206", "end_date is before start_date"))
    tz = data.get("timezone")
    if isinstance(tz, str) and not is_valid_timezone(tz):
        out.append(doc.diagnostic(("timezone",), "DF202", f"unknown time zone {tz!r}", hint=_timezone_hint(tz)))


@functools.lru_cache(maxsize=1)
def _all_timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    """Whether the IANA database has ``name``. Tries the one zone first: listing every
    zone reads the whole database, which costs more than validating a spec."""
    import zoneinfo

    if name.startswith(("/", ".")) or ".." in name or "\x00" in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return name not in ("localtime", "posixrules", "Factory")  # files in the database, not zones


def _timezone_hint(name: str) -> str:
    return did_you_mean(name, sorted(_all_timezones())) or "use an IANA name such as Asia/Seoul or UTC"


# Accepted, but Airflow 3 warns (RemovedInAirflow4Warning) whenever they are set on a task.
DEPRECATED_TASK_ARGS = {
    "email": "use on_failure_callback with airflow.providers.smtp.notifications.smtp.SmtpNotifier",
    "email_on_failure": "use on_failure_callback with an SmtpNotifier",
    "email_on_retry": "use on_retry_callback with an SmtpNotifier",
}


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
    kinds = _arg_kinds(task)
    is_class_path = isinstance(operator, str) and operator not in CATALOG
    for key, value in task.items():
        path = ("tasks", task_id, key)
        if is_class_path and key not in kinds and keyword.iskeyword(key):
            out.append(doc.diagnostic(path, "DF105", f"argument name {key!r} is a Python keyword", key=True))
        if is_class_path and key in RENDERED_ARGS:
            message = f"task {task_id!r}: `{key}` is set by the compiler; it cannot be given as an argument"
            out.append(doc.diagnostic(path, "DF206", message, key=True, hint=RENDERED_ARGS[key]))
        _check_typed(doc, path, value, kinds.get(key), out)
        _check_deprecated(doc, path, key, out)
    if isinstance(operator, str) and operator in CATALOG:
        out.extend(check_task_args(doc, task_id, task, CATALOG[operator]))


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
        item_path = path + (index,) if item is not value else path
        if not isinstance(item, str):  # the schema types catalog arguments; a class path's are free
            message = f"{field}: expected an import path package.module:function, not {type(item).__name__}"
            out.append(doc.diagnostic(item_path, "DF205", message, hint=hint))
            continue
        try:
            parse_import_path(item)
        except ValueError as exc:
            out.append(doc.diagnostic(item_path, "DF205", f"{field}: {exc}", hint=hint))
