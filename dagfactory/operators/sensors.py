"""Sensors of the standard provider: wait for another DAG, a file, a time, or a function."""

from __future__ import annotations

from dagfactory.operators.base import SENSOR_ARGS, Arg, Operator
from dagfactory.operators.core import STANDARD

SENSORS = "airflow.providers.standard.sensors"

OPERATORS: tuple[Operator, ...] = (
    Operator(
        name="external_task_sensor",
        module=f"{SENSORS}.external_task",
        class_name="ExternalTaskSensor",
        provider=STANDARD,
        description="Wait for a task (or a whole run) of another DAG to finish.",
        args=(
            Arg("external_dag_id", "string", "The upstream DAG.", required=True, templated=True),
            Arg("external_task_id", "string", "The upstream task (omit to wait for the whole run).", templated=True),
            Arg("external_task_ids", "list", "Several upstream tasks.", templated=True),
            Arg("external_task_group_id", "string", "An upstream task group.", templated=True),
            Arg("allowed_states", "list", "States that count as done (default success)."),
            Arg("skipped_states", "list", "States that skip this task."),
            Arg("failed_states", "list", "States that fail this task."),
            Arg(
                "execution_delta",
                "duration",
                "How much earlier the upstream run's logical date is (e.g. 1h when it runs an hour before).",
            ),
            Arg("execution_date_fn", "callable", "Function giving the upstream logical date(s) instead."),
            Arg("check_existence", "boolean", "Fail at once if the upstream DAG or task does not exist."),
            Arg("poll_interval", "number", "Seconds between checks in deferrable mode.", minimum=0),
            Arg("deferrable", "boolean", "Wait in the triggerer, freeing the worker slot."),
            *SENSOR_ARGS,
        ),
    ),
    Operator(
        name="file_sensor",
        module=f"{SENSORS}.filesystem",
        class_name="FileSensor",
        provider=STANDARD,
        description="Wait until a file or folder exists (glob patterns allowed).",
        args=(
            Arg(
                "filepath", "string", "The path, relative to the connection's base path.", required=True, templated=True
            ),
            Arg("fs_conn_id", "string", "The filesystem connection (default fs_default).", templated=True),
            Arg("recursive", "boolean", "With ** in filepath, match in subfolders."),
            Arg("deferrable", "boolean", "Wait in the triggerer, freeing the worker slot."),
            *SENSOR_ARGS,
        ),
    ),
    Operator(
        name="time_delta_sensor",
        module=f"{SENSORS}.time_delta",
        class_name="TimeDeltaSensor",
        provider=STANDARD,
        description="Wait until this long after the end of the run's data interval.",
        args=(
            Arg("delta", "duration", "How long after the data interval's end.", required=True, templated=True),
            Arg("deferrable", "boolean", "Wait in the triggerer, freeing the worker slot."),
            *SENSOR_ARGS,
        ),
    ),
    Operator(
        name="date_time_sensor",
        module=f"{SENSORS}.date_time",
        class_name="DateTimeSensor",
        provider=STANDARD,
        description="Wait until a date and time, e.g. '{{ data_interval_end.add(hours=2) }}'.",
        args=(
            Arg(
                "target_time", "string", "The time to wait for (ISO-8601 or a template).", required=True, templated=True
            ),
            *SENSOR_ARGS,
        ),
    ),
    Operator(
        name="python_sensor",
        module=f"{SENSORS}.python",
        class_name="PythonSensor",
        provider=STANDARD,
        description="Wait until a function returns true.",
        args=(
            Arg("python_callable", "callable", "The function to call, as package.module:function.", required=True),
            Arg("op_args", "list", "Positional arguments passed to the function.", templated=True),
            Arg("op_kwargs", "mapping", "Keyword arguments passed to the function.", templated=True),
            Arg(
                "templates_dict", "mapping", "Values rendered with Jinja and passed as templates_dict.", templated=True
            ),
            *SENSOR_ARGS,
        ),
    ),
)
