"""HTTP operators of the http provider."""

from __future__ import annotations

from dagfactory.operators.base import SENSOR_ARGS, Arg, Operator

HTTP = "apache-airflow-providers-http"

OPERATORS: tuple[Operator, ...] = (
    Operator(
        name="http",
        module="airflow.providers.http.operators.http",
        class_name="HttpOperator",
        provider=HTTP,
        description="Call an HTTP endpoint of a connection's host.",
        args=(
            Arg("http_conn_id", "string", "The HTTP connection (base URL, auth).", templated=True),
            Arg("endpoint", "string", "Path appended to the connection's base URL.", templated=True),
            Arg(
                "method",
                "string",
                "HTTP method (default POST).",
                choices=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"),
            ),
            Arg(
                "data", "any", "Body (a mapping is form- or JSON-encoded) or query parameters for GET.", templated=True
            ),
            Arg("headers", "mapping", "Request headers.", templated=True),
            Arg("response_check", "callable", "Function given the response; returns false to fail the task."),
            Arg("response_filter", "callable", "Function given the response; its result goes to XCom."),
            Arg("extra_options", "mapping", "Options for requests (timeout, verify, ...)."),
            Arg("request_kwargs", "mapping", "Extra keyword arguments for requests.Session.request."),
            Arg("log_response", "boolean", "Log the response body."),
            Arg("deferrable", "boolean", "Wait for the response in the triggerer."),
            Arg("retry_args", "mapping", "Tenacity retry arguments for the request."),
        ),
    ),
    Operator(
        name="http_sensor",
        module="airflow.providers.http.sensors.http",
        class_name="HttpSensor",
        provider=HTTP,
        description="Wait until an HTTP endpoint answers successfully (or response_check says so).",
        args=(
            Arg("endpoint", "string", "Path appended to the connection's base URL.", required=True, templated=True),
            Arg("http_conn_id", "string", "The HTTP connection (base URL, auth).", templated=True),
            Arg(
                "method",
                "string",
                "HTTP method (default GET).",
                choices=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"),
            ),
            Arg("request_params", "mapping", "Query parameters.", templated=True),
            Arg("headers", "mapping", "Request headers.", templated=True),
            Arg("response_error_codes_allowlist", "list", "HTTP status codes (as strings) that mean 'not yet'."),
            Arg("response_check", "callable", "Function given the response; returns true when done."),
            Arg("extra_options", "mapping", "Options for requests (timeout, verify, ...)."),
            Arg("request_kwargs", "mapping", "Extra keyword arguments for requests.Session.request."),
            Arg("deferrable", "boolean", "Wait in the triggerer, freeing the worker slot."),
            *SENSOR_ARGS,
        ),
    ),
)
