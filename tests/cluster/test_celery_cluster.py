"""Compiled DAGs on a real Airflow 3 cluster: CeleryExecutor, two workers on two queues, PostgreSQL, Redis.

One cluster for the module (starting it is most of the cost). It compiles the specs in
tests/cluster/specs plus the shipped specs/mysql_to_postgres_employees.yaml, triggers one run of
each, and the tests read what happened from the metadata database. Runs in CI; to leave it out
of a local run: ``./scripts/test -m "not cluster"``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.cluster import (
    DEMO_EMPLOYEES,
    REPO,
    Cluster,
    deploy,
    leftover_processes,
    running_cluster,
    seed_employees,
    trigger,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

SHIPPED = REPO / "specs" / "mysql_to_postgres_employees.yaml"
SPECS = [*sorted((Path(__file__).parent / "specs").glob("*.yaml")), SHIPPED]
DAG_IDS = ["cluster_retry", "cluster_routing", "mysql_to_postgres_employees"]
RUN_ID = "cluster_test"
LOGICAL_DATE = "2024-01-02T00:00:00+00:00"
QUEUES = ("q_a", "q_b")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("cluster")
    with running_cluster(home, QUEUES) as started:
        seed_employees(started)
        deploy(started, SPECS, set(DAG_IDS))
        trigger(started, DAG_IDS, RUN_ID, LOGICAL_DATE)
        yield started
    # running_cluster stopped every process group and waited; nothing may carry the cluster's id now.
    assert leftover_processes(started.cluster_id) == []
    assert all(proc.poll() is not None for proc in started.procs.values())


def _task_instances(cluster: Cluster, dag_id: str) -> dict[str, dict[str, Any]]:
    columns = ("task_id", "queue", "hostname", "state", "try_number", "pool", "priority_weight")
    columns += ("start_date", "end_date")
    rows = cluster.query(
        f"SELECT {', '.join(columns)} FROM task_instance WHERE dag_id = %s AND run_id = %s", (dag_id, RUN_ID)
    )
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


def test_each_task_ran_on_the_worker_serving_its_queue(cluster: Cluster) -> None:
    assert wait_run(cluster, "cluster_routing", RUN_ID) == "success"
    tis = _task_instances(cluster, "cluster_routing")
    expected = {"on_a": "q_a", "on_b": "q_b", "serial_1": "q_a", "serial_2": "q_b", "serial_3": "q_a"}
    assert {t: ti["queue"] for t, ti in tis.items()} == expected
    assert {t: ti["hostname"] for t, ti in tis.items()} == {t: f"worker_{q}" for t, q in expected.items()}
    assert {ti["state"] for ti in tis.values()} == {"success"}
    assert tis["on_a"]["priority_weight"] == 7  # weight_rule: absolute keeps the spec's number as is


def test_one_slot_pool_serialised_the_tasks_sharing_it(cluster: Cluster) -> None:
    assert wait_run(cluster, "cluster_routing", RUN_ID) == "success"
    tis = _task_instances(cluster, "cluster_routing")
    pooled = sorted((ti for ti in tis.values() if ti["pool"] == "serial"), key=lambda ti: ti["start_date"])
    assert sorted(ti["task_id"] for ti in pooled) == ["serial_1", "serial_2", "serial_3"]
    for earlier, later in itertools.pairwise(pooled):
        assert earlier["end_date"] <= later["start_date"], (earlier, later)
    # The two workers could have run them at once: only the pool kept them apart.
    assert {ti["hostname"] for ti in pooled} == {"worker_q_a", "worker_q_b"}
    assert cluster.query("SELECT slots FROM slot_pool WHERE pool = 'serial'") == [(1,)]


def test_failing_task_retried_as_the_spec_said_then_failed(cluster: Cluster) -> None:
    assert wait_run(cluster, "cluster_retry", RUN_ID) == "failed"
    ti = _task_instances(cluster, "cluster_retry")["always_fails"]
    assert (ti["state"], ti["try_number"], ti["hostname"]) == ("failed", 3, "worker_q_b")  # 1 try + retries: 2


def _snapshot(cluster: Cluster) -> list[tuple[Any, ...]]:
    return cluster.query(
        "SELECT id, name, department, salary FROM employees_snapshot WHERE loaded_for = '2024-01-02' ORDER BY id",
        database=cluster.warehouse_db,
    )


def test_mysql_to_postgres_is_idempotent_across_a_cleared_rerun(cluster: Cluster) -> None:
    dag_id = "mysql_to_postgres_employees"
    assert wait_run(cluster, dag_id, RUN_ID) == "success"
    assert _snapshot(cluster) == list(DEMO_EMPLOYEES)
    assert _task_instances(cluster, dag_id)["copy_employees"]["try_number"] == 1

    cluster.airflow("tasks", "clear", dag_id, "--start-date", "2024-01-02", "--end-date", "2024-01-02", "--yes")
    assert wait_run(cluster, dag_id, RUN_ID) == "success"
    tis = _task_instances(cluster, dag_id)
    assert tis["copy_employees"]["try_number"] == 2  # it really ran again...
    assert _snapshot(cluster) == list(DEMO_EMPLOYEES)  # ...and left the same rows
    assert {ti["hostname"] for ti in tis.values()} == {"worker_q_a"}  # no `queue:`: the default queue's worker


def test_mysql_to_postgres_runs_when_triggered_without_a_logical_date(cluster: Cluster) -> None:
    # Airflow 3's UI triggers runs with no logical date, hence no {{ ds }}: the spec falls back to run_after.
    dag_id = "mysql_to_postgres_employees"
    cluster.airflow("dags", "trigger", dag_id, "--run-id", "no_logical_date")
    assert wait_run(cluster, dag_id, "no_logical_date") == "success"
    (run_after,) = cluster.query("SELECT run_after FROM dag_run WHERE run_id = 'no_logical_date'")[0]
    rows = cluster.query(
        "SELECT id FROM employees_snapshot WHERE loaded_for = %s ORDER BY id",
        (run_after.date(),),
        database=cluster.warehouse_db,
    )
    assert rows == [(employee[0],) for employee in DEMO_EMPLOYEES]
