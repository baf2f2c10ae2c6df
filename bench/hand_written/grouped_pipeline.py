"""specs/grouped_pipeline.yaml written by hand, as a careful Airflow 3 engineer would: the
benchmark's baseline for its DagBag parse time (bench/examples.py copies it under other dag_ids)."""

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Label, TaskGroup

with DAG(
    dag_id="grouped_pipeline",
    description="Extract, clean and report in task groups, with a labelled edge",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 4, 1, tz="UTC"),
    catchup=False,
    tags=["groups"],
    default_args={"owner": "data-eng", "retries": 1},
):
    start = BashOperator(task_id="start", bash_command="echo start")

    with TaskGroup(
        "extract",
        tooltip="Pull the raw files",
        default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    ) as extract:
        pull_orders = BashOperator(task_id="pull_orders", bash_command="echo pulling orders")
        pull_customers = BashOperator(task_id="pull_customers", bash_command="echo pulling customers")
        with TaskGroup("clean", tooltip="Scrub what was pulled") as clean:
            scrub = BashOperator(task_id="scrub", bash_command="echo scrubbing")
        [pull_orders, pull_customers] >> clean

    with TaskGroup("report", tooltip="Count and publish") as report:
        count_rows = BashOperator(task_id="count_rows", bash_command="echo 42 rows")
        publish = BashOperator(task_id="publish", bash_command="echo publishing")
        count_rows >> Label("rows counted") >> publish

    done = BashOperator(task_id="done", bash_command="echo done")

    start >> extract >> report >> done
