"""``scripts/cluster``: the test's Celery cluster, started by hand to try your own specs.

Starts the same cluster as tests/cluster/test_celery_cluster.py (same module, same settings),
compiles the given specs into its dags folder, creates their pools, seeds the demo employees
table behind ``connect_mysql``, and serves the Airflow UI until Ctrl-C; then it stops every
process and drops the databases it created.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
from pathlib import Path

from dagfactory.check import check_project
from dagfactory.load.discover import discover
from tests.cluster.cluster import REPO, deploy, free_port, running_cluster, seed_employees


def dag_ids(specs: list[Path]) -> set[str]:
    """The dag_ids the specs compile to: what the dag-processor must show before the UI is useful."""
    found = discover(specs, REPO / "specs", REPO)
    return {
        (r.document.data.get("dag_id") or r.spec.relative.stem)
        for r in check_project(found).results
        if r.document is not None and isinstance(r.document.data, dict)
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, default=[REPO / "specs"], help="spec files or folders")
    parser.add_argument("--queues", default="q_a,q_b", help="one Celery worker per queue (default: q_a,q_b)")
    parser.add_argument("--port", type=int, default=0, help="API server / UI port (default: a free one)")
    args = parser.parse_args()
    specs = [path.resolve() for path in args.specs]
    home = Path(tempfile.mkdtemp(prefix="dagfactory-cluster-"))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a shell may have started us ignoring it
        signal.signal(sig, lambda *_: stop.set())
    with running_cluster(home, tuple(args.queues.split(",")), port=args.port or free_port()) as cluster:
        seed_employees(cluster)
        deploy(cluster, specs, dag_ids(specs))
        print(f"Airflow UI: http://127.0.0.1:{cluster.port}  (AIRFLOW_HOME {home}, logs there)")
        print(f"Workers: {', '.join(f'worker_{q} serves {q}' for q in cluster.queues)}")
        print("Trigger from the UI, or in another shell with this cluster's environment:")
        print(f"  . {home}/env.sh && airflow dags trigger DAG_ID")
        print("Ctrl-C stops every process and drops the cluster's databases.", flush=True)
        while not stop.wait(2):
            cluster.check_alive()
        print("stopping...", flush=True)


if __name__ == "__main__":
    main()
