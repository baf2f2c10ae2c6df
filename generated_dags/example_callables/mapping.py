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


def partition_sets(**context: Any) -> list[dict[str, str]]:
    """The keyword arguments of each instance of a task mapped with expand_kwargs over this result."""
    return [{"partition": "north"}, {"partition": "south"}]


def region_commands(**context: Any) -> list[str]:
    """One bash command per region: a bash task mapped over this result runs each."""
    return [f"echo loading {region}" for region in list_partitions()]
