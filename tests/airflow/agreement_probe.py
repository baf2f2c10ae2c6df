"""Ask a real Airflow (3 or 2) which schedules, time zones and dates it takes, as ONE JSON document.

Usage: python tests/airflow/agreement_probe.py < cases.json > verdicts.json

Each case is what a generated DAG file passes to ``DAG(...)``: ``schedule`` (a string, or
``{"every": {unit: amount}}`` for a ``timedelta``), ``tz`` (the ``tz=`` of ``pendulum.datetime``),
``start`` and ``end`` (``pendulum.datetime`` field lists); ``max_active_runs`` is 1. A case is
accepted when everything the DAG processor and the scheduler do with it succeeds: building the DAG, ``dag.validate()``
(what DagBag calls before bagging), a serialization round trip (what the DAG processor stores) and
the deserialized timetable computing the first two runs (what the scheduler asks). The verdict is
``null`` (accepted) or the error as ``"Type: message"``. Imported once per batch: Airflow costs
seconds to import.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import warnings
from typing import Any


def _dag_api() -> tuple[Any, Any, Any]:
    """(DAG class, serializer class, TimeRestriction) of the installed major."""
    from airflow.timetables.base import TimeRestriction

    try:
        from airflow.sdk import DAG
        from airflow.serialization.serialized_objects import DagSerialization as Serializer
    except ImportError:  # Airflow 2
        from airflow import DAG
        from airflow.serialization.serialized_objects import SerializedDAG as Serializer
    return DAG, Serializer, TimeRestriction


def _schedule(value: Any) -> Any:
    if isinstance(value, dict):
        return dt.timedelta(**value["every"])
    return value


def check(case: dict[str, Any], api: tuple[Any, Any, Any]) -> str | None:
    import pendulum

    dag_class, serializer, restriction_class = api
    try:
        start = pendulum.datetime(*case.get("start", [2024, 1, 1]), tz=case.get("tz", "UTC"))
        end = pendulum.datetime(*case["end"], tz=case.get("tz", "UTC")) if case.get("end") else None
        schedule = _schedule(case.get("schedule"))
        dag = dag_class("agreement", schedule=schedule, start_date=start, end_date=end, max_active_runs=1)
        dag.validate()
        restored = serializer.from_dict(serializer.to_dict(dag))
        restriction = restriction_class(restored.start_date, restored.end_date, True)
        timetable = restored.timetable
        first = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
        if first is not None:  # and the run after it, as the scheduler asks once the first is created
            timetable.next_dagrun_info(last_automated_data_interval=first.data_interval, restriction=restriction)
    except Exception as exc:  # the verdict: anything Airflow raises is a refusal
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def main() -> None:
    warnings.simplefilter("ignore")
    cases = json.load(sys.stdin)
    api = _dag_api()
    json.dump([check(case, api) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
