"""specs/branching.yaml written by hand, as a careful Airflow 3 engineer would: the benchmark's
baseline for its DagBag parse time (bench/examples.py copies it under other dag_ids)."""

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import BranchPythonOperator
from airflow.sdk import DAG
from example_callables.branching import choose_path

with DAG(
    dag_id="branching",
    description="Choose a full or an incremental load, then publish",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 4, 1, tz="UTC"),
    catchup=False,
    tags=["branching"],
    default_args={"owner": "data-eng"},
):
    choose = BranchPythonOperator(task_id="choose", python_callable=choose_path)  # returns a task id
    full_load = BashOperator(task_id="full_load", bash_command="echo loading everything")
    incremental = BashOperator(task_id="incremental", bash_command="echo loading the new rows")
    publish = BashOperator(
        task_id="publish",
        bash_command="echo publishing",
        trigger_rule="none_failed_min_one_success",
    )

    choose >> [full_load, incremental] >> publish
