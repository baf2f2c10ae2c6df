"""Fill an Airflow DagBag from one folder and print one JSON line: how long the fill took.

Usage: python bench/dagbag_fill.py DAGS_FOLDER [--shape]

``--shape`` adds each DAG's shape (tasks with their class, group, upstream tasks, trigger rule,
setup/teardown role; edge labels; params), so the benchmark can check that two ways of
writing a DAG made the same DAG before it times them.

Run by the benchmark in a fresh subprocess per measurement, with whatever venv's
Python holds the Airflow under test. Only the ``DagBag(...)`` call is timed: importing
Airflow itself is the same fixed cost for every way of writing DAGs. The parent reads
peak RSS from the process it reaps. Standalone on purpose: it must not import the
benchmark's or our package's modules (a peer venv has neither).
"""

from __future__ import annotations

import json
import os
import sys
import time


def shape(dag) -> dict:
    tasks = {
        task.task_id: {
            "class": type(task).__name__,
            "group": task.task_group.group_id if task.task_group is not None else None,
            "upstream": sorted(task.upstream_task_ids),
            "trigger_rule": str(task.trigger_rule),
            "setup": task.is_setup,
            "teardown": task.is_teardown,
            "retries": task.retries,
        }
        for task in dag.tasks
    }
    labels = {f"{u} >> {d}": info.get("label") for u, downs in dag.edge_info.items() for d, info in downs.items()}
    return {"tasks": tasks, "labels": labels, "params": sorted(dag.params), "tags": sorted(dag.tags)}


def main(folder: str, with_shape: bool = False) -> None:
    folder = os.path.abspath(folder)
    sys.path.insert(0, folder)  # Airflow puts the DAGs folder on sys.path; be explicit
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=folder)  # examples are off: AIRFLOW__CORE__LOAD_EXAMPLES
    elapsed = time.perf_counter() - started
    report = {
        "seconds": elapsed,
        "dags": len(bag.dags),
        "tasks": sum(len(dag.tasks) for dag in bag.dags.values()),
        "import_errors": {str(k): str(v)[-500:] for k, v in bag.import_errors.items()},
    }
    if with_shape:
        report["shapes"] = {dag_id: shape(dag) for dag_id, dag in bag.dags.items()}
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], "--shape" in sys.argv[2:])
