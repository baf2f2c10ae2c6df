"""Writers for the benchmark's inputs: one synthetic pipeline, three ways of writing it.

Every DAG is the same shape whichever way it is written: ``n`` tasks cycling through
bash / python / empty operators, arranged as hub -> fan-out group -> hub -> ... so the
edges are chains with fan-out and fan-in. The three writers produce
- our spec format (YAML, compiled by ``dagfactory compile``),
- idiomatic hand-written Airflow 3 Python (the baseline a careful person writes),
- astronomer dag-factory 1.x YAML (loaded at parse time by ``load_yaml_dags``).
"""

from __future__ import annotations

import itertools
from pathlib import Path

OPERATORS = ("bash", "python", "empty")
CALLABLES_MODULE = "bench_callables"
# No "airflow" and no "dag" in this text, so DagBag's safe mode never parses it as a DAG file.
CALLABLES_SOURCE = 'def noop() -> str:\n    return "ok"\n'
CLASS_PATHS = {
    "bash": "airflow.providers.standard.operators.bash.BashOperator",
    "python": "airflow.providers.standard.operators.python.PythonOperator",
    "empty": "airflow.providers.standard.operators.empty.EmptyOperator",
}


def task_ids(n: int) -> list[str]:
    return [f"task_{i:04d}" for i in range(n)]


def operator_of(index: int) -> str:
    return OPERATORS[index % len(OPERATORS)]


def layers(ids: list[str]) -> list[list[str]]:
    """Alternate a single hub task with a fan-out group of 1-3 tasks."""
    out: list[list[str]] = []
    i, fan = 0, 0
    while i < len(ids):
        width = 1 if len(out) % 2 == 0 else 1 + fan % 3
        fan += len(out) % 2
        out.append(ids[i : i + width])
        i += width
    return out


def upstream(ids: list[str]) -> dict[str, list[str]]:
    """Each task's upstream task ids (the same dependencies in every format)."""
    parents: dict[str, list[str]] = {t: [] for t in ids}
    groups = layers(ids)
    for before, after in itertools.pairwise(groups):
        for child in after:
            parents[child] = list(before)
    return parents


def chains(ids: list[str]) -> list[str]:
    """Edges in Airflow's own notation: ``hub >> [a, b, c] >> next_hub``, one chain per fan-out."""
    groups = layers(ids)

    def step(group: list[str]) -> str:
        return group[0] if len(group) == 1 else "[" + ", ".join(group) + "]"

    out = []
    for start in range(0, len(groups) - 1, 2):
        out.append(" >> ".join(step(g) for g in groups[start : start + 3]))
    return out


def dag_id(index: int) -> str:
    return f"bench_{index:05d}"


def spec_yaml(index: int, n_tasks: int) -> str:
    """Our spec format."""
    ids = task_ids(n_tasks)
    lines = [
        f"dag_id: {dag_id(index)}",
        f"description: Benchmark pipeline {index}",
        "owner: bench",
        "business_owner:",
        "  name: Benchmark team",
        "schedule: '@daily'",
        "start_date: 2024-01-01",
        "tags: [bench]",
        "default_args:",
        "  retries: 1",
        "tasks:",
    ]
    for i, task in enumerate(ids):
        lines += [f"  {task}:", f"    operator: {operator_of(i)}"]
        if operator_of(i) == "bash":
            lines.append(f"    bash_command: echo {task} {{{{ ds }}}}")
        elif operator_of(i) == "python":
            lines.append(f"    python_callable: {CALLABLES_MODULE}:noop")
    lines.append("edges:")
    lines += [f"  - {chain}" for chain in chains(ids)]
    return "\n".join(lines) + "\n"


def dag_factory_yaml(index: int, n_tasks: int) -> str:
    """The same DAG in astronomer dag-factory 1.x format."""
    ids = task_ids(n_tasks)
    parents = upstream(ids)
    lines = [
        f"{dag_id(index)}:",
        "  default_args:",
        "    owner: bench",
        "    retries: 1",
        "    start_date: 2024-01-01",
        f"  description: Benchmark pipeline {index}",
        "  schedule: '@daily'",
        "  catchup: false",
        "  tags: [bench]",
        "  tasks:",
    ]
    for i, task in enumerate(ids):
        lines += [f"    {task}:", f"      operator: {CLASS_PATHS[operator_of(i)]}"]
        if operator_of(i) == "bash":
            lines.append(f"      bash_command: echo {task} {{{{ ds }}}}")
        elif operator_of(i) == "python":
            lines.append(f"      python_callable: {CALLABLES_MODULE}.noop")
        if parents[task]:
            lines.append(f"      dependencies: [{', '.join(parents[task])}]")
    return "\n".join(lines) + "\n"


def hand_written(index: int, n_tasks: int) -> str:
    """The same DAG as a careful person writes it in Airflow 3 Python."""
    ids = task_ids(n_tasks)
    out = [
        "import pendulum",
        "from airflow.providers.standard.operators.bash import BashOperator",
        "from airflow.providers.standard.operators.empty import EmptyOperator",
        "from airflow.providers.standard.operators.python import PythonOperator",
        "from airflow.sdk import DAG",
        f"from {CALLABLES_MODULE} import noop",
        "",
        "with DAG(",
        f'    dag_id="{dag_id(index)}",',
        f'    description="Benchmark pipeline {index}",',
        '    schedule="@daily",',
        '    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),',
        "    catchup=False,",
        '    tags=["bench"],',
        '    default_args={"owner": "bench", "retries": 1},',
        "):",
    ]
    for i, task in enumerate(ids):
        kind = operator_of(i)
        if kind == "bash":
            out.append(f'    {task} = BashOperator(task_id="{task}", bash_command="echo {task} {{{{ ds }}}}")')
        elif kind == "python":
            out.append(f'    {task} = PythonOperator(task_id="{task}", python_callable=noop)')
        else:
            out.append(f'    {task} = EmptyOperator(task_id="{task}")')
    out.append("")
    out += [f"    {chain}" for chain in chains(ids)]
    return "\n".join(out) + "\n"


DAG_FACTORY_LOADER = """\
# Loads every YAML file beside this one into Airflow DAGs at parse time.
import os

from dagfactory import load_yaml_dags

load_yaml_dags(globals_dict=globals(), dags_folder=os.path.dirname(os.path.abspath(__file__)))
"""


def write_specs(folder: Path, count: int, n_tasks: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"{dag_id(index)}.yaml"
        path.write_text(spec_yaml(index, n_tasks))
        paths.append(path)
    return paths


def write_callables(folder: Path) -> None:
    (folder / f"{CALLABLES_MODULE}.py").write_text(CALLABLES_SOURCE)


def write_hand_written(folder: Path, count: int, n_tasks: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_callables(folder)
    for index in range(count):
        (folder / f"{dag_id(index)}.py").write_text(hand_written(index, n_tasks))


def write_dag_factory(folder: Path, count: int, n_tasks: int) -> None:
    """YAML files plus the one loader module DagBag parses (the idiomatic dag-factory layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_callables(folder)
    (folder / "load_dag_factory.py").write_text(DAG_FACTORY_LOADER)
    for index in range(count):
        (folder / f"{dag_id(index)}.yaml").write_text(dag_factory_yaml(index, n_tasks))
