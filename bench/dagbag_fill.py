"""Fill an Airflow DagBag from one folder and print one JSON line: how long the fill took.

Usage: python bench/dagbag_fill.py DAGS_FOLDER

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


def main(folder: str) -> None:
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
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
