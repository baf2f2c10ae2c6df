"""specs/taskflow_xcom.yaml written by hand, as a careful Airflow 3 engineer would: the benchmark's
baseline for its DagBag parse time (bench/examples.py copies it under other dag_ids)."""

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task
from example_callables.taskflow import extract, summarize

with DAG(
    dag_id="taskflow_xcom",
    description="Pass values from TaskFlow task to TaskFlow task, then into a bash command",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 4, 1, tz="UTC"),
    catchup=False,
    tags=["taskflow"],
    default_args={"owner": "data-eng"},
):
    extracted = task(extract, multiple_outputs=True)()
    line = task(summarize)(orders=extracted["orders"], source=extracted["source"], currency="EUR")
    BashOperator(task_id="report", bash_command='echo "report: $SUMMARY"', env={"SUMMARY": line})
