"""Transfers and object storage of the amazon provider (S3)."""

from __future__ import annotations

from dagfactory.operators.base import SENSOR_ARGS, Arg, Operator

AMAZON = "apache-airflow-providers-amazon"
S3_MODULE = "airflow.providers.amazon.aws.operators.s3"

# Arguments of AwsBaseOperator / AwsBaseSensor, which every S3 operator here extends.
AWS_ARGS: tuple[Arg, ...] = (
    Arg("aws_conn_id", "string", "The AWS connection (default aws_default).", templated=True),
    Arg("region_name", "string", "AWS region (default: the connection's).", templated=True),
)

OPERATORS: tuple[Operator, ...] = (
    Operator(
        name="sql_to_s3",
        module="airflow.providers.amazon.aws.transfers.sql_to_s3",
        class_name="SqlToS3Operator",
        provider=AMAZON,
        description="Run a query on a database connection and save the result to S3 as CSV, JSON or Parquet.",
        args=(
            Arg(
                "query",
                "string",
                "The query, or a .sql file path relative to the spec (read at compile time).",
                required=True,
                templated=True,
                file_suffix=".sql",
            ),
            Arg("sql_conn_id", "string", "The database connection to query.", required=True, templated=True),
            Arg("aws_conn_id", "string", "The AWS connection (default aws_default).", templated=True),
            Arg("s3_bucket", "string", "Destination bucket.", required=True, templated=True),
            Arg(
                "s3_key",
                "string",
                "Destination key, e.g. exports/{{ ds }}/employees.csv.",
                required=True,
                templated=True,
            ),
            Arg("replace", "boolean", "Overwrite the key if it exists (a re-run replaces, never duplicates)."),
            Arg("file_format", "string", "Output format (default csv).", choices=("csv", "json", "parquet")),
            Arg("df_kwargs", "mapping", "Keyword arguments for the DataFrame writer (to_csv, to_json, ...)."),
            Arg(
                "pd_kwargs",
                "mapping",
                "The older name of df_kwargs (the seed course's spelling); emitted as df_kwargs.",
                emit_as="df_kwargs",
            ),
            Arg("parameters", "any", "Query parameters."),
            Arg("read_kwargs", "mapping", "Keyword arguments for reading the query into a DataFrame."),
            Arg("sql_hook_params", "mapping", "Extra keyword arguments for the database hook."),
            Arg("max_rows_per_file", "integer", "Split the output into files of at most this many rows.", minimum=0),
            Arg("groupby_kwargs", "mapping", "Split the output into one file per group (DataFrame.groupby)."),
            Arg("df_type", "string", "DataFrame library (default pandas).", choices=("pandas", "polars")),
        ),
    ),
    Operator(
        name="s3_create_object",
        module=S3_MODULE,
        class_name="S3CreateObjectOperator",
        provider=AMAZON,
        description="Write a string to an S3 key.",
        args=(
            Arg("s3_key", "string", "The key (or a full s3:// URL).", required=True, templated=True),
            Arg("data", "string", "The content to write.", required=True, templated=True),
            Arg("s3_bucket", "string", "The bucket (omit when s3_key is a full URL).", templated=True),
            Arg("replace", "boolean", "Overwrite the key if it exists."),
            Arg("encrypt", "boolean", "Encrypt the object at rest on the server side."),
            Arg("acl_policy", "string", "Canned ACL of the new object."),
            Arg("encoding", "string", "Encoding of data (default utf-8)."),
            Arg("compression", "string", "Compress the content first.", choices=("gzip",)),
            *AWS_ARGS,
        ),
    ),
    Operator(
        name="s3_copy_object",
        module=S3_MODULE,
        class_name="S3CopyObjectOperator",
        provider=AMAZON,
        description="Copy an S3 object to another key or bucket.",
        args=(
            Arg("source_bucket_key", "string", "Source key (or full s3:// URL).", required=True, templated=True),
            Arg("dest_bucket_key", "string", "Destination key (or full s3:// URL).", required=True, templated=True),
            Arg("source_bucket_name", "string", "Source bucket.", templated=True),
            Arg("dest_bucket_name", "string", "Destination bucket.", templated=True),
            Arg("source_version_id", "string", "Version of the source object."),
            Arg("acl_policy", "string", "Canned ACL of the new object."),
            Arg("meta_data_directive", "string", "Copy or replace metadata.", choices=("COPY", "REPLACE")),
            *AWS_ARGS,
        ),
    ),
    Operator(
        name="s3_delete_objects",
        module=S3_MODULE,
        class_name="S3DeleteObjectsOperator",
        provider=AMAZON,
        description="Delete S3 objects by key, or everything under a prefix.",
        args=(
            Arg("bucket", "string", "The bucket.", required=True, templated=True),
            Arg("keys", "strings", "Key or keys to delete.", templated=True),
            Arg("prefix", "string", "Delete every key under this prefix.", templated=True),
            Arg("from_datetime", "string", "Only objects modified at or after this time.", templated=True),
            Arg("to_datetime", "string", "Only objects modified before this time.", templated=True),
            *AWS_ARGS,
        ),
    ),
    Operator(
        name="s3_key_sensor",
        module="airflow.providers.amazon.aws.sensors.s3",
        class_name="S3KeySensor",
        provider=AMAZON,
        description="Wait until an S3 key (or every key of a list) exists.",
        args=(
            Arg(
                "bucket_key", "strings", "Key or keys to wait for (or full s3:// URLs).", required=True, templated=True
            ),
            Arg("bucket_name", "string", "The bucket (omit when bucket_key is a full URL).", templated=True),
            Arg("wildcard_match", "boolean", "Treat bucket_key as a Unix wildcard pattern."),
            Arg("use_regex", "boolean", "Treat bucket_key as a regular expression."),
            Arg("check_fn", "callable", "Function given the matching objects; returns true when done."),
            Arg("deferrable", "boolean", "Wait in the triggerer, freeing the worker slot."),
            *AWS_ARGS,
            *SENSOR_ARGS,
        ),
    ),
)
