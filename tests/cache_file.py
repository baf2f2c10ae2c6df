"""Reading and editing the incremental cache's file as an attacker (or a curious user) would: a
line of every spec's data, then a line of the entries (with the data line's hash)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagfactory.check.cache import CACHE_DIR, CACHE_FILE


def cache_path(project: Path) -> Path:
    return project / CACHE_DIR / CACHE_FILE


def stored(project: Path) -> dict[str, Any]:
    """The file's second line: salt, the data line's hash and the entries."""
    raw = cache_path(project).read_bytes()
    return json.loads(raw[raw.rindex(b"\n") + 1 :])


def stored_data(project: Path) -> dict[str, Any]:
    """The file's first line: each spec's data, decoded."""
    raw = cache_path(project).read_bytes()
    return {name: json.loads(text) for name, text in json.loads(raw[: raw.rindex(b"\n")]).items()}


def entries(project: Path) -> dict[str, dict[str, Any]]:
    return stored(project)["entries"]


def store(project: Path, head: dict[str, Any]) -> None:
    """Replace the second line (the data line is kept as it is)."""
    raw = cache_path(project).read_bytes()
    cache_path(project).write_bytes(raw[: raw.rindex(b"\n") + 1] + json.dumps(head).encode())
