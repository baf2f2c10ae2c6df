"""The shape of a catalog entry (:class:`Operator`, :class:`Arg`) and the arguments every
operator, or every sensor, accepts. A new catalog module builds its entries from these."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str
    description: str
    required: bool = False
    templated: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    file_suffix: str | None = None  # a string ending in this is a file read at compile time
    emit_as: str | None = None  # the keyword the generated call uses, when it differs from name

    @property
    def keyword(self) -> str:
        return self.emit_as or self.name


@dataclass(frozen=True)
class Operator:
    name: str
    module: str
    class_name: str
    provider: str  # the pip distribution that ships ``module``
    description: str
    args: tuple[Arg, ...] = field(default=())

    @property
    def class_path(self) -> str:
        return f"{self.module}.{self.class_name}"

    def arg(self, name: str) -> Arg | None:
        return next((a for a in self.args if a.name == name), None)


TRIGGER_RULES = (
    "all_success", "all_failed", "all_done", "all_done_min_one_success", "all_done_setup_success",
    "one_success", "one_failed", "one_done", "none_failed", "none_skipped", "always",
    "none_failed_min_one_success", "all_skipped",
)  # fmt: skip

# Arguments every Airflow operator accepts (BaseOperator), usable on any task and,
# except the per-task ones, in ``default_args``.
COMMON_ARGS: tuple[Arg, ...] = (
    Arg("owner", "string", "Technical owner of this task (defaults to the spec's owner)."),
    Arg("retries", "integer", "How many times to retry the task before failing it.", minimum=0),
    Arg("retry_delay", "duration", "How long to wait between retries."),
    Arg("retry_exponential_backoff", "boolean", "Double the wait between retries each time."),
    Arg("max_retry_delay", "duration", "Upper bound of the wait between retries with exponential backoff."),
    Arg("execution_timeout", "duration", "Fail the task if one try runs longer than this."),
    Arg("depends_on_past", "boolean", "Run only if this task succeeded in the previous DAG run."),
    Arg("wait_for_downstream", "boolean", "Run only if this task's downstream tasks of the previous DAG run finished."),
    Arg("trigger_rule", "string", "When the task runs, given its upstream tasks' states.", choices=TRIGGER_RULES),
    Arg("pool", "string", "Airflow pool that limits how many such tasks run at once."),
    Arg("pool_slots", "integer", "How many pool slots one try of this task takes.", minimum=1),
    Arg("queue", "string", "Executor queue (for Celery: the worker queue that runs the task)."),
    Arg("priority_weight", "integer", "Priority of this task against others in the executor queue."),
    Arg(
        "weight_rule",
        "string",
        "How priority_weight adds up along the graph.",
        choices=("downstream", "upstream", "absolute"),
    ),
    Arg("email", "strings", "Address or addresses that receive failure and retry emails."),
    Arg("email_on_failure", "boolean", "Send an email when the task fails."),
    Arg("email_on_retry", "boolean", "Send an email when the task is retried."),
    Arg("on_failure_callback", "callables", "Function(s) called when the task fails: package.module:function."),
    Arg("on_success_callback", "callables", "Function(s) called when the task succeeds: package.module:function."),
    Arg("on_retry_callback", "callables", "Function(s) called when the task is retried: package.module:function."),
    Arg("do_xcom_push", "boolean", "Push the operator's result to XCom."),
)

# Arguments that only make sense on one task, never in default_args.
TASK_ONLY_ARGS: tuple[Arg, ...] = (
    Arg("doc_md", "string", "Markdown documentation of this task, shown in the Airflow UI."),
    Arg("params", "mapping", "Task-level params, merged over the DAG's params for this task."),
    Arg(
        "map_index_template",
        "string",
        "A mapped task's name for each map index in the UI, a Jinja template (e.g. {{ task.bash_command }}).",
    ),
    Arg(
        "max_active_tis_per_dagrun",
        "integer",
        "At most this many instances of this task (map indexes of a mapped task) run at once in one DAG run.",
        minimum=1,
    ),
)


# Keywords the generated call (or Airflow's DAG context) supplies itself: a class-path operator
# given one of them again would pass it twice, or replace what the spec means by its keys.
RENDERED_ARGS: dict[str, str] = {
    "task_id": "a task's id is its key under `tasks:`",
    "dag": "the task belongs to the DAG of its spec",
    "task_group": "put the task in a group with `group:` (groups are declared under `groups:`)",
    "inlets": "write what the task reads as `inputs:`",
    "outlets": "write what the task writes as `outputs:`",
}


def class_path_arg_kind(name: str) -> str | None:
    """How a free argument of a class-path operator is read, judged by its name.

    Airflow's callbacks and callables take functions, which a spec can only name by
    import path: such a string is imported, never passed as text (a string callback
    would be iterated as a list of characters, a string callable refused at run time).
    Every other free argument is passed as the plain value written.
    """
    if name.endswith(("_callback", "_callbacks")):
        return "callables"
    if name.endswith("_callable"):
        return "callable"
    return None


# Arguments of every sensor (BaseSensorOperator).
SENSOR_ARGS: tuple[Arg, ...] = (
    Arg("poke_interval", "duration", "How long to wait between two checks."),
    Arg("timeout", "duration", "Fail (or skip, with soft_fail) when the condition is not met within this time."),
    Arg(
        "mode",
        "string",
        "poke keeps a worker slot while waiting; reschedule frees it between checks.",
        choices=("poke", "reschedule"),
    ),
    Arg("soft_fail", "boolean", "Mark the task skipped instead of failed on timeout."),
    Arg("exponential_backoff", "boolean", "Grow the wait between checks exponentially."),
)
