"""specs/mapped_tasks.yaml written by hand, as a careful Airflow 3 engineer would: the benchmark's
baseline for its DagBag parse time (bench/examples.py copies it under other dag_ids)."""

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, task
from example_callables.mapping import list_partitions, load_partition

with DAG(
    dag_id="mapped_tasks",
    description="Load and greet each region in its own task instance, then report",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 4, 1, tz="UTC"),
    catchup=False,
    tags=["mapping"],
    default_args={"owner": "data-eng"},
):
    list_regions = PythonOperator(task_id="list_regions", python_callable=list_partitions)
    load_region = task(load_partition, task_id="load_region").expand(partition=list_regions.output)
    greet_regions = BashOperator.partial(
        task_id="greet_regions",
        env={"GREETING": "hello"},
        map_index_template="{{ task.bash_command }}",
        max_active_tis_per_dagrun=2,
    ).expand(bash_command=[f'echo "$GREETING {region}"' for region in ("north", "south", "east")])
    report = BashOperator(task_id="report", bash_command="echo all regions loaded and greeted")

    list_regions >> greet_regions
    [load_region, greet_regions] >> report
