"""SQL operators of the common-sql provider: they work with any database connection."""

from __future__ import annotations

from dagfactory.operators.base import SENSOR_ARGS, Arg, Operator

COMMON_SQL = "apache-airflow-providers-common-sql"
MODULE = "airflow.providers.common.sql.operators.sql"

SQL_HELP = "SQL text, or a path ending in .sql relative to the spec (read at compile time)."

# Arguments of BaseSQLOperator, which every SQL operator here extends.
CONNECTION_ARGS: tuple[Arg, ...] = (
    Arg("conn_id", "string", "The Airflow connection of the database.", templated=True),
    Arg("database", "string", "Database (or schema) to use instead of the connection's.", templated=True),
    Arg("hook_params", "mapping", "Extra keyword arguments for the database hook.", templated=True),
)

PARAMETERS = Arg(
    "parameters",
    "any",
    "Query parameters (a mapping for %(name)s style, a list for positional style).",
    templated=True,
)

OPERATORS: tuple[Operator, ...] = (
    Operator(
        name="sql",
        module=MODULE,
        class_name="SQLExecuteQueryOperator",
        provider=COMMON_SQL,
        description="Run SQL statements on a database connection; a list runs in one transaction.",
        args=(
            Arg(
                "sql",
                "strings",
                "One statement, a list of statements, or a .sql file path relative to the spec.",
                required=True,
                templated=True,
                file_suffix=".sql",
            ),
            *CONNECTION_ARGS,
            PARAMETERS,
            Arg("autocommit", "boolean", "Commit after each statement instead of once at the end."),
            Arg("split_statements", "boolean", "Split a string holding several statements and run each."),
            Arg("return_last", "boolean", "Push only the last statement's result to XCom (default true)."),
            Arg("show_return_value_in_logs", "boolean", "Log the query result."),
        ),
    ),
    Operator(
        name="sql_check",
        module=MODULE,
        class_name="SQLCheckOperator",
        provider=COMMON_SQL,
        description="Fail unless every value in the first row of the query is truthy.",
        args=(
            Arg("sql", "string", SQL_HELP, required=True, templated=True, file_suffix=".sql"),
            *CONNECTION_ARGS,
            Arg("parameters", "any", PARAMETERS.description),
        ),
    ),
    Operator(
        name="sql_value_check",
        module=MODULE,
        class_name="SQLValueCheckOperator",
        provider=COMMON_SQL,
        description="Fail unless the query's first row equals pass_value (within tolerance for numbers).",
        args=(
            Arg("sql", "string", SQL_HELP, required=True, templated=True, file_suffix=".sql"),
            Arg("pass_value", "any", "The expected value.", required=True, templated=True),
            Arg("tolerance", "number", "Allowed relative difference for numbers, e.g. 0.1 for 10%.", minimum=0),
            *CONNECTION_ARGS,
            Arg("parameters", "any", PARAMETERS.description),
        ),
    ),
    Operator(
        name="sql_sensor",
        module="airflow.providers.common.sql.sensors.sql",
        class_name="SqlSensor",
        provider=COMMON_SQL,
        description="Wait until a query returns a truthy first cell (or success() says so).",
        args=(
            Arg("conn_id", "string", "The Airflow connection of the database.", required=True, templated=True),
            Arg("sql", "string", SQL_HELP, required=True, templated=True, file_suffix=".sql"),
            PARAMETERS,
            Arg("success", "callable", "Function given the first cell; returns true when done."),
            Arg("failure", "callable", "Function given the first cell; returns true to fail at once."),
            Arg("fail_on_empty", "boolean", "Fail when the query returns no row."),
            Arg("hook_params", "mapping", "Extra keyword arguments for the database hook.", templated=True),
            *SENSOR_ARGS,
        ),
    ),
)
