"""Callables of the branching pipeline."""

from __future__ import annotations

from typing import Any


def choose_path(**context: Any) -> str:
    """A full load on the first day of the month, an incremental load on the other days.

    The returned task id must be one of the task's `branches:` in the spec.
    """
    logical_date = context.get("logical_date")
    first_day = logical_date is not None and logical_date.day == 1
    return "full_load" if first_day else "incremental"
