"""Callables of the TaskFlow example: plain functions; the spec makes them TaskFlow tasks and
passes one's result to the next (Airflow moves the values through XCom)."""

from __future__ import annotations

from typing import Any


def extract(**context: Any) -> dict[str, Any]:
    """Today's orders: a dict, pushed key by key (the task has `multiple_outputs: true`)."""
    logical_date = context.get("logical_date")
    day = logical_date.day if logical_date is not None else 1
    return {"orders": [day * 10, day * 20, 5], "source": "shop"}


def summarize(orders: list[int], source: str, currency: str) -> str:
    """One line about the orders: what the bash task downstream prints."""
    return f"{source}: {len(orders)} orders, {sum(orders)} {currency}"
