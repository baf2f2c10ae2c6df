"""Target profiles: what differs between the Airflow majors a spec compiles for, as data.

The renderer reads import paths and class names from the profile; validation reads
which spec features the target has. Nothing else in the compiler asks "which major?",
so supporting a future major means adding a profile here (and its golden files).

The operator catalog (:mod:`dagfactory.operators`) describes Airflow 3; a profile
lists only what differs on its major. This module imports neither Airflow nor Jinja2:
``dagfactory validate`` uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import Document
from dagfactory.values import parse_duration

STANDARD = "apache-airflow-providers-standard"


@dataclass(frozen=True)
class Target:
    major: str
    label: str  # how messages name the target
    dag_import: tuple[str, str]  # (module, class)
    asset_import: tuple[str, str]  # Asset on 3, Dataset on 2
    asset_takes_name: bool  # Dataset(uri) has no name: on 2 the name stays in the docs
    group_import: tuple[str, str]  # TaskGroup
    label_import: tuple[str, str]  # Label (an edge modifier)
    task_import: tuple[str, str]  # TaskFlow's `task` decorator
    # the distribution that registers the TaskFlow decorators (None: apache-airflow itself)
    taskflow_distribution: str | None
    # TaskFlow flavour -> distributions its decorator needs on this target (to parse the DAG)
    flavour_distributions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # catalog operator name -> (module, class) where the target ships it elsewhere
    operator_paths: dict[str, tuple[str, str]] = field(default_factory=dict)
    # distributions the catalog names that are part of apache-airflow itself on this target
    builtin_distributions: frozenset[str] = frozenset()
    # catalog operator name -> arguments its class does not accept on this target
    missing_args: dict[str, frozenset[str]] = field(default_factory=dict)
    missing_trigger_rules: frozenset[str] = frozenset()
    missing_schedule_presets: frozenset[str] = frozenset()
    sla: bool = False  # tasks accept `sla` (a duration); removed in Airflow 3
    # accepted, but the target warns at parse time: argument -> what to use instead
    deprecated_task_args: dict[str, str] = field(default_factory=dict)

    def operator_path(self, name: str, module: str, class_name: str) -> tuple[str, str]:
        """Where a catalog operator is imported from on this target."""
        return self.operator_paths.get(name, (module, class_name))

    def distribution(self, name: str | None, provider: str) -> str | None:
        """The distribution ``requirements`` lists for a catalog operator (None: in core)."""
        if provider in self.builtin_distributions and name in self.operator_paths:
            return None
        return provider


# Airflow 3 warns (RemovedInAirflow4Warning) whenever one of these is set on a task.
_EMAIL_ARGS = {
    "email": "use on_failure_callback with airflow.providers.smtp.notifications.smtp.SmtpNotifier",
    "email_on_failure": "use on_failure_callback with an SmtpNotifier",
    "email_on_retry": "use on_retry_callback with an SmtpNotifier",
}

AIRFLOW_3 = Target(
    major="3",
    label="Airflow 3",
    dag_import=("airflow.sdk", "DAG"),
    asset_import=("airflow.sdk", "Asset"),
    asset_takes_name=True,
    group_import=("airflow.sdk", "TaskGroup"),
    label_import=("airflow.sdk", "Label"),
    task_import=("airflow.sdk", "task"),
    taskflow_distribution=STANDARD,
    deprecated_task_args=_EMAIL_ARGS,
)

_CORE2 = "airflow.operators"
_SENSORS2 = "airflow.sensors"

# Airflow 2.9+: core operators and sensors ship inside apache-airflow; providers keep their
# paths (common-sql, http, smtp, amazon all release for 2.x). Checked against 2.11.2 by
# tests/airflow2/.
AIRFLOW_2 = Target(
    major="2",
    label="Airflow 2",
    dag_import=("airflow", "DAG"),
    asset_import=("airflow.datasets", "Dataset"),
    asset_takes_name=False,
    group_import=("airflow.utils.task_group", "TaskGroup"),
    label_import=("airflow.utils.edgemodifier", "Label"),
    task_import=("airflow.decorators", "task"),
    taskflow_distribution=None,
    flavour_distributions={"virtualenv": ("virtualenv",)},  # 2's @task.virtualenv checks for it when parsed
    operator_paths={
        "bash": (f"{_CORE2}.bash", "BashOperator"),
        "python": (f"{_CORE2}.python", "PythonOperator"),
        "branch_python": (f"{_CORE2}.python", "BranchPythonOperator"),
        "short_circuit": (f"{_CORE2}.python", "ShortCircuitOperator"),
        "empty": (f"{_CORE2}.empty", "EmptyOperator"),
        "trigger_dagrun": (f"{_CORE2}.trigger_dagrun", "TriggerDagRunOperator"),
        "external_task_sensor": (f"{_SENSORS2}.external_task", "ExternalTaskSensor"),
        "file_sensor": (f"{_SENSORS2}.filesystem", "FileSensor"),
        "time_delta_sensor": (f"{_SENSORS2}.time_delta", "TimeDeltaSensor"),
        "date_time_sensor": (f"{_SENSORS2}.date_time", "DateTimeSensor"),
        "python_sensor": (f"{_SENSORS2}.python", "PythonSensor"),
    },
    builtin_distributions=frozenset({STANDARD}),
    missing_args={
        "trigger_dagrun": frozenset({"fail_when_dag_is_paused", "note"}),
        "time_delta_sensor": frozenset({"deferrable"}),  # 2 has a separate TimeDeltaSensorAsync
    },
    missing_trigger_rules=frozenset({"all_done_min_one_success"}),
    sla=True,
)

TARGETS: dict[str, Target] = {t.major: t for t in (AIRFLOW_3, AIRFLOW_2)}
DEFAULT = AIRFLOW_3

# What the renderer itself imports, whatever the spec says: `datetime` from the standard
# library (durations), `pendulum` imported whole (`import pendulum`, start dates), and every
# target's DAG and asset modules. No output file may take one of these names (DF404).
STDLIB_IMPORTS = frozenset({"datetime"})
PLAIN_IMPORTS = frozenset({"pendulum"})
ALWAYS_IMPORTED = (
    STDLIB_IMPORTS
    | PLAIN_IMPORTS
    | frozenset(module.partition(".")[0] for t in TARGETS.values() for module, _ in (t.dag_import, t.asset_import))
)


def target(major: str) -> Target:
    return TARGETS[major]


def check_target(doc: Document, tgt: Target) -> list[Diagnostic]:
    """Spec features the target does not have, at the spec line that uses them (schema-valid specs)."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    out: list[Diagnostic] = []
    schedule = data.get("schedule")
    if isinstance(schedule, str) and schedule in tgt.missing_schedule_presets:
        out.append(
            doc.diagnostic(
                ("schedule",),
                "DF104",
                f"schedule {schedule!r} does not exist on {tgt.label}",
                hint="use a cron string or another preset, or compile for another Airflow major",
            )
        )
    if isinstance(data.get("default_args"), dict):
        _check_trigger_rule(doc, ("default_args",), data["default_args"], tgt, out)
    groups = data.get("groups")
    for group_id, group in groups.items() if isinstance(groups, dict) else ():
        if isinstance(group, dict) and isinstance(group.get("default_args"), dict):
            _check_trigger_rule(doc, ("groups", group_id, "default_args"), group["default_args"], tgt, out)
    tasks = data.get("tasks")
    for task_id, task in tasks.items() if isinstance(tasks, dict) else ():
        if isinstance(task, dict):
            _check_task(doc, task_id, task, tgt, out)
    return out


def _check_task(doc: Document, task_id: str, task: dict[str, Any], tgt: Target, out: list[Diagnostic]) -> None:
    path = ("tasks", task_id)
    _check_trigger_rule(doc, path, task, tgt, out)
    operator = task.get("operator")
    missing = tgt.missing_args.get(operator, frozenset()) if isinstance(operator, str) else frozenset()
    mapped: list[tuple[tuple[Any, ...], str]] = []  # (where, argument) of the arguments the task maps
    if isinstance(task.get("expand"), dict):
        mapped += [((*path, "expand"), key) for key in task["expand"]]
    if isinstance(task.get("expand_kwargs"), list):
        items = enumerate(task["expand_kwargs"])
        mapped += [((*path, "expand_kwargs", i), key) for i, item in items if isinstance(item, dict) for key in item]
    for where, key in sorted([(path, k) for k in missing & set(task)] + [m for m in mapped if m[1] in missing]):
        out.append(
            doc.diagnostic(
                (*where, key),
                "DF101",
                f"task {task_id!r}: operator {operator!r} has no argument {key!r} on {tgt.label}",
                key=True,
                hint="remove it, or compile for another Airflow major (`airflow` in [tool.dagfactory])",
            )
        )
    sla = task.get("sla")
    if tgt.sla and isinstance(sla, (str, int)) and not isinstance(sla, bool):
        try:
            parse_duration(sla)
        except ValueError as exc:
            out.append(doc.diagnostic((*path, "sla"), "DF203", str(exc), hint="e.g. 30m, 1h30m, PT2H or 3600"))
    elif tgt.sla and "sla" in task:
        out.append(
            doc.diagnostic(
                (*path, "sla"),
                "DF103",
                f"task {task_id!r} (sla) must be a duration",
                hint="write a duration like 30m, 1h30m, PT2H or 3600",
            )
        )


def _check_trigger_rule(
    doc: Document, path: tuple[str, ...], args: dict[str, Any], tgt: Target, out: list[Diagnostic]
) -> None:
    rule = args.get("trigger_rule")
    if isinstance(rule, str) and rule in tgt.missing_trigger_rules:
        out.append(
            doc.diagnostic(
                (*path, "trigger_rule"),
                "DF104",
                f"trigger_rule {rule!r} does not exist on {tgt.label}",
                hint="use another trigger rule, e.g. none_failed_min_one_success",
            )
        )


def allows_schema_error(tgt: Target, path: tuple[Any, ...], validator: str) -> bool:
    """Schema errors the target lifts: the schema refuses `sla` (Airflow 3); Airflow 2 has it."""
    return tgt.sla and validator == "not" and path[-1:] == ("sla",) and len(path) == 3 and path[0] == "tasks"
