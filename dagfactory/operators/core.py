"""Core operators shipped with Airflow's standard provider."""

from __future__ import annotations

from dagfactory.operators.base import Arg, Operator

STANDARD = "apache-airflow-providers-standard"
SMTP = "apache-airflow-providers-smtp"

# The arguments PythonOperator and its subclasses share.
PYTHON_ARGS: tuple[Arg, ...] = (
    Arg("python_callable", "callable", "The function to call, as package.module:function.", required=True),
    Arg("op_args", "list", "Positional arguments passed to the function.", templated=True),
    Arg("op_kwargs", "mapping", "Keyword arguments passed to the function.", templated=True),
    Arg("templates_dict", "mapping", "Values rendered with Jinja and passed as templates_dict.", templated=True),
    Arg("show_return_value_in_logs", "boolean", "Log the function's return value."),
)

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
                "The command, a multi-line script, or a script path ending in .sh.",
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
        args=PYTHON_ARGS,
    ),
    Operator(
        name="empty",
        module="airflow.providers.standard.operators.empty",
        class_name="EmptyOperator",
        provider=STANDARD,
        description="Do nothing: a join or marker point in the graph.",
    ),
    Operator(
        name="branch_python",
        module="airflow.providers.standard.operators.python",
        class_name="BranchPythonOperator",
        provider=STANDARD,
        description="Call a function that returns the task_id(s) to follow; the other branches are skipped.",
        args=PYTHON_ARGS,
    ),
    Operator(
        name="short_circuit",
        module="airflow.providers.standard.operators.python",
        class_name="ShortCircuitOperator",
        provider=STANDARD,
        description="Call a function; when it returns a falsy value, skip the downstream tasks.",
        args=(
            *PYTHON_ARGS,
            Arg(
                "ignore_downstream_trigger_rules",
                "boolean",
                "Skip every downstream task (true, default) or only the direct ones, honouring trigger rules.",
            ),
        ),
    ),
    Operator(
        name="trigger_dagrun",
        module="airflow.providers.standard.operators.trigger_dagrun",
        class_name="TriggerDagRunOperator",
        provider=STANDARD,
        description="Start a run of another DAG.",
        args=(
            Arg("trigger_dag_id", "string", "The dag_id of the DAG to start.", required=True, templated=True),
            Arg("trigger_run_id", "string", "The run_id of the new run (default: generated).", templated=True),
            Arg("conf", "mapping", "Configuration passed to the new run (its dag_run.conf).", templated=True),
            Arg("logical_date", "string", "Logical date of the new run, e.g. '{{ logical_date }}'.", templated=True),
            Arg("reset_dag_run", "boolean", "Clear an existing run with the same run_id instead of failing."),
            Arg("wait_for_completion", "boolean", "Wait until the new run finishes.", templated=True),
            Arg("poke_interval", "integer", "Seconds between checks while waiting for completion.", minimum=1),
            Arg("allowed_states", "list", "Run states that count as success (default: success)."),
            Arg("failed_states", "list", "Run states that count as failure (default: failed)."),
            Arg("skip_when_already_exists", "boolean", "Skip instead of failing when the run exists.", templated=True),
            Arg("fail_when_dag_is_paused", "boolean", "Fail when the triggered DAG is paused."),
            Arg("note", "string", "A note shown on the new run."),
            Arg("deferrable", "boolean", "Wait for completion in the triggerer, freeing the worker slot."),
        ),
    ),
    Operator(
        name="email",
        module="airflow.providers.smtp.operators.smtp",
        class_name="EmailOperator",
        provider=SMTP,
        description="Send an email through an SMTP connection.",
        args=(
            Arg("to", "strings", "Recipient address or addresses.", required=True, templated=True),
            Arg("subject", "string", "Subject line.", templated=True),
            Arg("html_content", "string", "Body of the email, HTML allowed.", templated=True),
            Arg("from_email", "string", "Sender address (default: the connection's).", templated=True),
            Arg("files", "list", "Paths of files to attach.", templated=True),
            Arg("cc", "strings", "Carbon-copy address or addresses.", templated=True),
            Arg("bcc", "strings", "Blind carbon-copy address or addresses.", templated=True),
            Arg("mime_subtype", "string", "MIME subtype of the message (default mixed).", templated=True),
            Arg("mime_charset", "string", "Character set of the message (default utf-8).", templated=True),
            Arg("conn_id", "string", "The SMTP connection id (default smtp_default).", templated=True),
            Arg("custom_headers", "mapping", "Extra email headers.", templated=True),
        ),
    ),
)
