"""specs/setup_teardown.yaml written by hand, as a careful Airflow 3 engineer would: the
benchmark's baseline for its DagBag parse time (bench/examples.py copies it under other dag_ids)."""

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="setup_teardown",
    description="A setup, a task that can be made to fail, and the teardown that cleans up after it",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 4, 1, tz="UTC"),
    catchup=False,
    tags=["setup-teardown"],
    default_args={"owner": "data-eng", "retries": 0},
    params={"fail_work": False},
):
    create = BashOperator(task_id="create", bash_command='echo "creating scratch table"')
    work = BashOperator(
        task_id="work",
        bash_command=(
            'echo "working on scratch table"\n'
            '{% if params.fail_work %}echo "failing on purpose: fail_work is on"; exit 1{% endif %}\n'
        ),
        doc_md="Fails on purpose when the run's `fail_work` param is on, to show that the teardown still runs.",
    )
    cleanup = BashOperator(task_id="cleanup", bash_command='echo "dropping scratch table"')

    create >> work >> cleanup.as_teardown(setups=create)
