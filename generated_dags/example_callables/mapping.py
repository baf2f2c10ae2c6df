"""Callables of the dynamic task mapping pipeline."""

from __future__ import annotations

from typing import Any


def list_partitions(**context: Any) -> list[str]:
    """The partitions to load today: one mapped task instance runs per item."""
    return ["north", "south", "east"]


def load_partition(partition: str) -> str:
    """Load one partition (here: say so) and return what was loaded."""
    print(f"loading partition {partition}")
    return partition
