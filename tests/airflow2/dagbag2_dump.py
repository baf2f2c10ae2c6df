"""Fill an Airflow 2 DagBag from a folder; print ONE JSON document (run with .venv-af2's python).

Usage: python dagbag2_dump.py DAGS_FOLDER [ATTRS_JSON] (ATTRS_JSON: as tests/airflow/dagbag_dump.py's).
Stdout carries only the JSON (fd 1 points at
stderr while Airflow runs); it records import errors, serialization errors, warnings
raised from files in the folder, and per task its class, upstream ids, lineage and sla.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings


def uris(objects: object) -> list[str]:
    return [getattr(o, "uri", repr(o)) for o in objects or []]


def dag_info(dag: object) -> dict[str, object]:
    from airflow.serialization.serialized_objects import SerializedDAG

    try:
        SerializedDAG.to_dict(dag)
        serialization = None
    except Exception:  # the traceback is the result
        serialization = traceback.format_exc()
    tasks = {}
    for task in dag.tasks:
        mapped = any(c.__name__ == "MappedOperator" for c in type(task).__mro__)  # TaskFlow: a subclass
        cls = task.operator_class if mapped else type(task)  # a mapped task: the class it maps
        sla = getattr(task, "sla", None)
        tasks[task.task_id] = {
            "operator_class": f"{cls.__module__}.{cls.__qualname__}",
            "is_mapped": mapped,
            "upstream": sorted(task.upstream_task_ids),
            "inlets": uris(task.inlets),
            "outlets": uris(task.outlets),
            "sla_seconds": sla.total_seconds() if sla is not None else None,
            "task_group": task.task_group.group_id if task.task_group is not None else None,
            "is_setup": task.is_setup,
            "is_teardown": task.is_teardown,
            "on_failure_fail_dagrun": task.on_failure_fail_dagrun,
            "trigger_rule": str(task.trigger_rule),
        }
        if mapped:  # Op.partial(...).expand(...): what each map index gets, and what all share
            from dagbag_dump import jsonable

            tasks[task.task_id]["expand_kind"] = type(getattr(task, task._expand_input_attr)).__name__
            tasks[task.task_id]["expand"] = jsonable(getattr(task, task._expand_input_attr).value)
            tasks[task.task_id]["partial_kwargs"] = jsonable(task.partial_kwargs)
    labels = {
        f"{up} >> {down}": info["label"]
        for up, downs in sorted(dag.edge_info.items())
        for down, info in sorted(downs.items())
        if info.get("label") is not None
    }
    return {
        "timetable": type(dag.timetable).__name__,
        "timetable_summary": dag.timetable.summary,
        "dataset_schedule": uris(
            getattr(dag.timetable, "dataset_condition", None) and dag.timetable.dataset_condition.objects
        ),
        "doc_md": dag.doc_md,
        "serialization_error": serialization,
        "tasks": tasks,
        "edge_labels": labels,
    }


def main(folder: str, attrs: str | None = None) -> int:
    sys.stdout.flush()
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    root = os.path.abspath(folder)
    # the Airflow 3 dump's JSON conversion (it imports no Airflow at module level)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "airflow"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from airflow.models import DagBag

        bag = DagBag(dag_folder=root, include_examples=False)
        dags = {dag_id: dag_info(bag.dags[dag_id]) for dag_id in sorted(bag.dags)}
        if attrs:
            from dagbag_dump import spec_attrs

            with open(attrs, encoding="utf-8") as handle:
                wanted = json.load(handle)
            for dag_id in dags:
                dags[dag_id]["spec_attrs"] = spec_attrs(bag.dags[dag_id], wanted)
    ours = sorted(
        {f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught if w.filename.startswith(root)}
    )
    captured = sorted(line for lines in bag.captured_warnings.values() for line in lines)
    result = {"import_errors": dict(bag.import_errors), "warnings": ours + captured, "dags": dags}
    json.dump(result, real_stdout, indent=1, default=repr)
    real_stdout.write("\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
