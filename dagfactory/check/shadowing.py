"""Output files that would shadow a Python module.

Airflow puts the DAGs folder on ``sys.path`` (``dagfactory check`` and ``python dag.py`` put
it first), so a spec named ``pendulum.yaml`` would compile to ``pendulum.py`` right where
every generated file's ``import pendulum`` looks. Such a name is refused (DF404): the
standard library's modules, and those the generated files import (Airflow, pendulum, and
the packages of the specs' callables and class-path operators).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.operators import CATALOG, task_arg_kinds
from dagfactory.operators.base import COMMON_ARGS, TASK_ONLY_ARGS
from dagfactory.targets import ALWAYS_IMPORTED

SHADOW_CODE = "DF404"
_COMMON_KINDS: Mapping[str, str] = {arg.name: arg.kind for arg in COMMON_ARGS + TASK_ONLY_ARGS}


def top_level_module(output: PurePosixPath) -> str | None:
    """The module name an output file takes on ``sys.path``: only a file directly in the output
    folder has one (a sub-folder has no ``__init__.py``, and never hides a regular package)."""
    if len(output.parts) != 1 or not output.stem.isidentifier():
        return None
    return output.stem


def imported_packages(data: dict[str, Any]) -> set[str]:
    """Top-level packages a validated spec's DAG imports besides :data:`~dagfactory.targets.ALWAYS_IMPORTED`:
    those of its callables (``package.module:function``, wherever the renderer imports one)
    and class-path operators."""
    found: set[str] = set()
    sections: list[tuple[Any, Mapping[str, str]]] = [(data.get("default_args"), _COMMON_KINDS)]
    tasks = data.get("tasks")
    for task in tasks.values() if isinstance(tasks, dict) else ():
        if isinstance(task, dict) and isinstance(task.get("operator"), str):
            sections.append((task, task_arg_kinds(task)))  # the model reads the task the same way
            if task["operator"] not in CATALOG:  # a class path: its module is imported too
                found.add(_package(task["operator"]))
    for values, kinds in sections:
        for key, value in values.items() if isinstance(values, dict) else ():
            if kinds.get(key) in ("callable", "callables"):
                found.update(_package(item) for item in (value if isinstance(value, list) else [value]))
    return found


def _package(import_path: object) -> str:
    return str(import_path).partition(":")[0].partition(".")[0].strip()


def taken_names(imported: set[str]) -> frozenset[str]:
    """Module names no output file may take, given the packages the specs' DAGs import."""
    return frozenset(sys.stdlib_module_names) | ALWAYS_IMPORTED | imported


def shadow_diagnostic(display: str, output: PurePosixPath, taken: frozenset[str]) -> Diagnostic | None:
    """DF404 at the spec ``display`` when its ``output`` file's module name is ``taken``."""
    name = top_level_module(output)
    if name not in taken:
        return None
    kind = "standard library" if name in sys.stdlib_module_names else "imported"
    return Diagnostic(
        display,
        1,
        1,
        SHADOW_CODE,
        f"this spec would compile to {output.as_posix()}, which shadows the {kind} module {name!r} "
        "for every DAG in the folder (the DAGs folder is on sys.path)",
        hint="rename the spec file or move it into a sub-folder (`dag_id:` keeps the DAG's id)",
    )
