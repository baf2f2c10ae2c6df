"""Core operators shipped with Airflow's standard provider."""

from __future__ import annotations

from dagfactory.operators import Arg, Operator

STANDARD = "apache-airflow-providers-standard"

OPERATORS: tuple[Operator, ...] = (
    Operator(
        name="bash",
        module="airflow.providers.standard.operators.bash",
        class_name="BashOperator",
        provider=STANDARD,
        description="Run a shell command or script with bash.",
        args=(
            Arg(
                "bash_command",
                "string",
                "The command, a list of commands, or a script path ending in .sh.",
                required=True,
                templated=True,
            ),
            Arg(
                "env",
                "mapping",
                "Environment variables for the command (replaces the worker's unless append_env is true).",
                templated=True,
            ),
            Arg("append_env", "boolean", "Add env to the worker's environment instead of replacing it."),
            Arg("cwd", "string", "Working directory for the command.", templated=True),
            Arg("output_encoding", "string", "Encoding of the command's output."),
            Arg(
                "skip_on_exit_code",
                "any",
                "Exit code(s) that mark the task skipped instead of failed "
                "(an integer or a list of integers; default 99).",
            ),
        ),
    ),
    Operator(
        name="python",
        module="airflow.providers.standard.operators.python",
        class_name="PythonOperator",
        provider=STANDARD,
        description="Call a Python function, given by its import path.",
        args=(
            Arg("python_callable", "callable", "The function to call, as package.module:function.", required=True),
            Arg("op_args", "list", "Positional arguments passed to the function.", templated=True),
            Arg("op_kwargs", "mapping", "Keyword arguments passed to the function.", templated=True),
            Arg(
                "templates_dict", "mapping", "Values rendered with Jinja and passed as templates_dict.", templated=True
            ),
            Arg("show_return_value_in_logs", "boolean", "Log the function's return value."),
        ),
    ),
    Operator(
        name="empty",
        module="airflow.providers.standard.operators.empty",
        class_name="EmptyOperator",
        provider=STANDARD,
        description="Do nothing: a join or marker point in the graph.",
    ),
)
