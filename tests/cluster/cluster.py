"""A real Airflow 3 cluster on loopback: CeleryExecutor, PostgreSQL metadata DB, Redis broker.

Used by ``tests/cluster/test_celery_cluster.py`` and by ``scripts/cluster`` (the same code path),
so what a user starts by hand is exactly what CI proves. Every run gets its own PostgreSQL
databases (metadata + warehouse), MariaDB database and Redis db number, all removed by ``stop``.

Processes: ``airflow api-server`` (tasks report to its execution API), ``airflow dag-processor``
on the folder the compiler writes, ``airflow scheduler`` and one ``airflow celery worker`` per
queue. Each runs in its own process group, so ``stop`` reaches every child it forked.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POSTGRES = os.environ.get("DAGFACTORY_CLUSTER_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
MARIADB_HOST, MARIADB_PORT = os.environ.get("DAGFACTORY_CLUSTER_MARIADB", "127.0.0.1:3306").split(":")
REDIS = os.environ.get("DAGFACTORY_CLUSTER_REDIS", "redis://127.0.0.1:6379")
WORKER_ENV = "DAGFACTORY_CLUSTER_WORKER"  # the hostname a worker reports (see worker_hostname)
MARK_ENV = "DAGFACTORY_CLUSTER_ID"  # every process of one cluster carries it: how leftovers are found


def worker_hostname() -> str:
    """``core.hostname_callable`` of the cluster: two workers on one machine report distinct hostnames."""
    return os.environ.get(WORKER_ENV) or socket.getfqdn()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    home: Path
    queues: tuple[str, ...]
    cluster_id: str = field(default_factory=lambda: secrets.token_hex(4))
    port: int = field(default_factory=free_port)
    redis_db: int | None = None  # chosen by create_databases
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def dags(self) -> Path:
        return self.home / "dags"

    @property
    def metadata_db(self) -> str:
        return f"dagfactory_cluster_{self.cluster_id}"

    @property
    def warehouse_db(self) -> str:  # where the example pipelines load (connect_postgres)
        return f"dagfactory_cluster_{self.cluster_id}_warehouse"

    @property
    def source_db(self) -> str:  # the MariaDB database behind connect_mysql
        return f"dagfactory_cluster_{self.cluster_id}"

    def env(self, worker: str | None = None) -> dict[str, str]:
        """The environment of every Airflow process (and CLI call) of this cluster."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        pg = f"{POSTGRES.split('://', 1)[1]}/{self.metadata_db}"
        base_url = f"http://127.0.0.1:{self.port}"
        env |= {
            MARK_ENV: self.cluster_id,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW_CONFIG": str(self.home / "airflow.cfg"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.cluster.cluster.worker_hostname",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__SECRET_KEY": self.cluster_id * 4,
            "AIRFLOW__API_AUTH__JWT_SECRET": self.cluster_id * 8,  # shared by scheduler, API server, workers
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}",
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
            "AIRFLOW__CELERY__BROKER_URL": f"{REDIS}/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{pg}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queues[0],  # tasks without `queue:` still find a worker
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "3",  # new compiled files are seen within seconds
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            "AIRFLOW_CONN_CONNECT_POSTGRES": f"postgres://{POSTGRES.split('://', 1)[1]}/{self.warehouse_db}",
            "AIRFLOW_CONN_CONNECT_MYSQL": f"mysql://root@{MARIADB_HOST}:{MARIADB_PORT}/{self.source_db}",
        }
        if worker:
            env[WORKER_ENV] = worker
        return env

    # --- external services -----------------------------------------------------------------

    def create_databases(self) -> None:
        import MySQLdb
        import psycopg
        import redis

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            for name in (self.metadata_db, self.warehouse_db):
                conn.execute(f'CREATE DATABASE "{name}"')
        source = MySQLdb.connect(host=MARIADB_HOST, port=int(MARIADB_PORT), user="root")
        try:
            source.cursor().execute(f"CREATE DATABASE `{self.source_db}`")
        finally:
            source.close()
        # A Redis db number nobody else uses, so flushing it at the end harms no one; the claim
        # key (set only if absent) keeps two clusters started at once off the same number.
        for number in range(15, 0, -1):
            client = redis.Redis.from_url(f"{REDIS}/{number}")
            if client.dbsize() == 0 and client.set("dagfactory:cluster", self.cluster_id, nx=True):
                self.redis_db = number
                return
        raise RuntimeError("no empty Redis database (1-15) to use as the Celery broker")

    def drop_databases(self) -> None:
        import MySQLdb
        import psycopg
        import redis

        if self.redis_db is not None:
            redis.Redis.from_url(f"{REDIS}/{self.redis_db}").flushdb()
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            for name in (self.metadata_db, self.warehouse_db):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        source = MySQLdb.connect(host=MARIADB_HOST, port=int(MARIADB_PORT), user="root")
        try:
            source.cursor().execute(f"DROP DATABASE IF EXISTS `{self.source_db}`")
        finally:
            source.close()

    def query(self, sql: str, params: tuple[Any, ...] = (), database: str | None = None) -> list[tuple[Any, ...]]:
        """Rows from the metadata DB (or another of the cluster's PostgreSQL databases)."""
        import psycopg

        with psycopg.connect(f"{POSTGRES}/{database or self.metadata_db}", autocommit=True) as conn:
            return list(conn.execute(sql, params).fetchall())

    def mariadb(self, *statements: str) -> None:
        import MySQLdb

        source = MySQLdb.connect(host=MARIADB_HOST, port=int(MARIADB_PORT), user="root", db=self.source_db)
        try:
            for statement in statements:
                source.cursor().execute(statement)
            source.commit()
        finally:
            source.close()

    # --- Airflow processes -----------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """One Airflow CLI call against this cluster; raises with its output when it fails."""
        done = subprocess.run(
            [str(BIN / "airflow"), *args], env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def spawn(self, name: str, *args: str, worker: str | None = None) -> None:
        log = (self.home / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [str(BIN / "airflow"), *args],
            env=self.env(worker),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() signals every child with it
        )
        log.close()

    def write_env_file(self) -> Path:
        """``env.sh``: source it to run ``airflow`` commands against this cluster from another shell."""
        env = self.env()
        names = sorted(k for k in env if k.startswith(("AIRFLOW", "DAGFACTORY_CLUSTER")) or k == "PYTHONPATH")
        lines = [f"export {k}={shlex.quote(env[k])}" for k in names]
        lines.append(f'export PATH={shlex.quote(str(BIN))}:"$PATH"')
        path = self.home / "env.sh"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def start(self) -> None:
        self.dags.mkdir(parents=True, exist_ok=True)
        self.create_databases()
        self.write_env_file()
        self.airflow("db", "migrate", timeout=300)
        self.spawn("api-server", "api-server", "--port", str(self.port), "--host", "127.0.0.1")
        self.spawn("dag-processor", "dag-processor")
        self.spawn("scheduler", "scheduler")
        for queue in self.queues:
            name = f"worker_{queue}"
            self.spawn(name, "celery", "worker", "-q", queue, "-H", f"{name}@%h", "--without-gossip", worker=name)
        wait_for(self._api_ready, "the API server answers", self, timeout=120)

    def _api_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/monitor/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"cluster process exited: {dead}\n{self.logs_tail()}")

    def logs_tail(self, lines: int = 30) -> str:
        parts = []
        for name in self.procs:
            text = (self.home / f"{name}.log").read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {name}.log (last {lines} lines)\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self, grace: float = 20) -> None:
        """SIGTERM every process group, SIGKILL what is left after ``grace`` seconds."""
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGKILL)  # children (celery pool, gunicorn) may outlive the leader
            proc.wait(timeout=10)
        for pid in leftover_processes(self.cluster_id):
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not leftover_processes(self.cluster_id), "every cluster process is gone", timeout=10)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def leftover_processes(cluster_id: str) -> list[int]:
    """Live processes (not zombies) whose environment carries this cluster's id."""
    marker = f"{MARK_ENV}={cluster_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (
                marker in (entry / "environ").read_bytes().split(b"\0")
                and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def wait_for(
    ready: Callable[[], Any], what: str, cluster: Cluster | None = None, timeout: float = 180, every: float = 1
) -> Any:
    """Poll ``ready`` until it returns something truthy; fail with the cluster's logs after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if cluster is not None:
            cluster.check_alive()
        if time.monotonic() > deadline:
            logs = cluster.logs_tail() if cluster is not None else ""
            raise TimeoutError(f"gave up waiting until {what} after {timeout:.0f}s\n{logs}")
        time.sleep(every)


# --- what a user (or the test) does with a running cluster -----------------------------------

DEMO_EMPLOYEES = (
    (1, "Kim Minji", "HR", 52000),
    (2, "Lee Jiho", "Engineering", 61000),
    (3, "Park Seoyeon", "Finance", 58000),
)


def seed_employees(cluster: Cluster) -> None:
    """The source table of specs/mysql_to_postgres_employees.yaml, in the cluster's MariaDB database."""
    rows = ", ".join(f"({i}, '{name}', '{dept}', {salary})" for i, name, dept, salary in DEMO_EMPLOYEES)
    cluster.mariadb(
        "CREATE TABLE IF NOT EXISTS employees (id int PRIMARY KEY, name varchar(100) NOT NULL, "
        "department varchar(100) NOT NULL, salary int NOT NULL)",
        f"REPLACE INTO employees (id, name, department, salary) VALUES {rows}",
    )


def deploy(cluster: Cluster, specs: list[Path], dag_ids: set[str]) -> None:
    """Compile ``specs`` into the cluster's dags folder, create their pools, wait until they are parsed."""
    compiled = subprocess.run(
        [str(BIN / "dagfactory"), "compile", "--no-cache", *map(str, specs), "--out", str(cluster.dags)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if compiled.returncode != 0:
        raise RuntimeError(f"dagfactory compile failed:\n{compiled.stdout}{compiled.stderr}")
    pools = subprocess.run(
        [str(BIN / "dagfactory"), "requirements", "--pools", *map(str, specs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    for line in pools.stdout.splitlines():  # exactly what a user pipes to sh
        cluster.airflow(*shlex.split(line)[1:])
    wait_for(lambda: _parsed(cluster, dag_ids), f"the dag-processor parsed {sorted(dag_ids)}", cluster)


def _parsed(cluster: Cluster, dag_ids: set[str]) -> bool:
    errors = cluster.query("SELECT filename, stacktrace FROM import_error")
    if errors:
        raise RuntimeError(f"the dag-processor reports import errors: {errors}")
    rows = cluster.query("SELECT dag_id FROM dag WHERE NOT is_stale")
    return dag_ids <= {dag_id for (dag_id,) in rows}


def trigger(cluster: Cluster, dag_ids: list[str], run_id: str, logical_date: str) -> None:
    """Unpause and trigger each DAG through the CLI, the DAGs in parallel (each CLI call imports Airflow)."""

    def one(dag_id: str) -> None:
        cluster.airflow("dags", "unpause", dag_id)
        cluster.airflow("dags", "trigger", dag_id, "--run-id", run_id, "--logical-date", logical_date)

    with ThreadPoolExecutor(max_workers=len(dag_ids)) as pool:
        list(pool.map(one, dag_ids))


def wait_run(cluster: Cluster, dag_id: str, run_id: str, timeout: float = 180) -> str:
    """The final state of a DagRun (success or failed)."""

    def finished() -> str | None:
        rows = cluster.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id))
        return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None

    return str(wait_for(finished, f"DagRun {dag_id}/{run_id} finished", cluster, timeout=timeout))


@contextmanager
def running_cluster(home: Path, queues: tuple[str, ...], port: int | None = None) -> Iterator[Cluster]:
    """A started cluster; on exit every process is stopped and every database dropped."""
    cluster = Cluster(home, queues) if port is None else Cluster(home, queues, port=port)
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            cluster.drop_databases()
