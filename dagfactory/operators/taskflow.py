"""TaskFlow tasks: a task with ``task: FLAVOUR`` and ``callable: package.module:function``
is rendered as Airflow's ``@task`` decorator (or ``@task.branch``, ``@task.bash``, ...)
applied to that function, called with the task's ``args``.

Each flavour lists the decorator arguments a spec may set besides the common task
arguments; the schema, the validator and the model read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagfactory.operators.base import Arg
from dagfactory.operators.core import STANDARD


@dataclass(frozen=True)
class Flavour:
    name: str  # the value of `task:`
    decorator: str  # the attribute of Airflow's `task` ("" for `task` itself)
    description: str
    args: tuple[Arg, ...] = ()

    @property
    def shown(self) -> str:
        """How docs name it: ``@task``, ``@task.branch``."""
        return "@task" + (f".{self.decorator}" if self.decorator else "")


CALLABLE = Arg("callable", "callable", "The function to call, as package.module:function.", required=True)
ARGS = Arg(
    "args",
    "mapping",
    "Keyword arguments passed when calling the function; a value may be another task's result, "
    "{xcom: task_id} or {xcom: task_id, key: name}.",
)
MULTIPLE_OUTPUTS = Arg(
    "multiple_outputs",
    "boolean",
    "Push each key of the returned dict as its own XCom, so {xcom: this_task, key: name} pulls one.",
)
_SHOW = Arg("show_return_value_in_logs", "boolean", "Log the function's return value.")

FLAVOURS: dict[str, Flavour] = {
    f.name: f
    for f in (
        Flavour("python", "", "Call the function (Airflow's @task).", (MULTIPLE_OUTPUTS, _SHOW)),
        Flavour(
            "branch",
            "branch",
            "Call the function; it returns the task id(s) to follow, the other direct downstream tasks are skipped.",
        ),
        Flavour(
            "short_circuit",
            "short_circuit",
            "Call the function; when it returns a falsy value, skip the downstream tasks.",
            (
                Arg(
                    "ignore_downstream_trigger_rules",
                    "boolean",
                    "Skip every downstream task (true, default) or only the direct ones, honouring trigger rules.",
                ),
            ),
        ),
        Flavour(
            "bash",
            "bash",
            "Call the function; it returns the bash command to run.",
            (
                Arg("env", "mapping", "Environment variables for the command."),
                Arg("append_env", "boolean", "Add env to the worker's environment instead of replacing it."),
                Arg("cwd", "string", "Working directory for the command."),
                Arg("output_encoding", "string", "Encoding of the command's output."),
                Arg("skip_on_exit_code", "any", "Exit code(s) that mark the task skipped (default 99)."),
            ),
        ),
        Flavour(
            "virtualenv",
            "virtualenv",
            "Run the function (its source, which must import what it uses inside) in a new virtualenv.",
            (
                MULTIPLE_OUTPUTS,
                Arg("requirements", "strings", "pip requirements installed into the virtualenv."),
                Arg("python_version", "string", "The Python version of the virtualenv, e.g. '3.11'."),
                Arg("system_site_packages", "boolean", "Give the virtualenv the worker's site-packages."),
                Arg("pip_install_options", "list", "Extra options for pip install."),
                Arg("venv_cache_path", "string", "Keep the virtualenv in this folder and reuse it."),
            ),
        ),
        Flavour(
            "external_python",
            "external_python",
            "Run the function (its source, which must import what it uses inside) with another Python.",
            (
                MULTIPLE_OUTPUTS,
                Arg("python", "string", "Path of the Python interpreter to run it with.", required=True),
                Arg("expect_airflow", "boolean", "Whether that Python has Airflow installed."),
            ),
        ),
    )
}

# The flavours that choose among their direct downstream tasks, like branch_python.
BRANCHING_FLAVOURS = ("branch",)
TASKFLOW_PROVIDER = STANDARD


def flavour_of(task: object) -> Flavour | None:
    """The flavour of a TaskFlow task body, None for any other task (or an unknown flavour)."""
    name = task.get("task") if isinstance(task, dict) else None
    return FLAVOURS.get(name) if isinstance(name, str) else None


def flavour_args(flavour: Flavour) -> tuple[Arg, ...]:
    """Every key of a task of this flavour, besides `task:` and the common task arguments."""
    return (CALLABLE, ARGS, *flavour.args)
