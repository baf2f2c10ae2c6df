"""The operator catalog against the installed operators: import paths, argument names,
required flags and templated flags all come from the real classes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dagfactory.check.schema import build_schema
from dagfactory.operators import CATALOG
from dagfactory.operators.base import COMMON_ARGS, SENSOR_ARGS, TASK_ONLY_ARGS

PROBE = Path(__file__).with_name("catalog_probe.py")
KINDS = {"string", "integer", "number", "boolean", "duration", "callable", "callables", "strings", "list"}
KINDS |= {"mapping", "any"}


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    """One subprocess imports every catalog class and reports its real signature."""
    proc = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.airflow
def test_every_entry_imports(probe: dict[str, Any]) -> None:
    errors = {name: p["error"] for name, p in probe.items() if "error" in p}
    assert errors == {}
    assert sorted(probe) == sorted(CATALOG)


@pytest.mark.airflow
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_argument_is_accepted_by_the_real_signature(probe: dict[str, Any], name: str) -> None:
    accepted = set(probe[name]["accepted"])
    op = CATALOG[name]
    rejected = [a.keyword for a in op.args + COMMON_ARGS if a.keyword not in accepted]
    assert rejected == []
    if op.arg("poke_interval") and op.class_name.endswith("Sensor"):
        assert {a.name for a in SENSOR_ARGS} <= accepted


@pytest.mark.airflow
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_required_and_templated_flags_match_the_real_class(probe: dict[str, Any], name: str) -> None:
    op = CATALOG[name]
    real_required = set(probe[name]["required"]) - {"task_id"}
    assert {a.name for a in op.args if a.required} == real_required
    templated = set(probe[name]["template_fields"])
    assert {a.name for a in op.args if a.templated} == {a.name for a in op.args if a.keyword in templated}


def test_entries_are_well_formed() -> None:
    for name, op in CATALOG.items():
        assert op.name == name
        assert op.provider.startswith("apache-airflow-providers-")
        assert op.module.startswith("airflow.providers.")
        names = [a.name for a in op.args]
        assert len(names) == len(set(names)), name
        assert not set(names) & {a.name for a in COMMON_ARGS + TASK_ONLY_ARGS}, name
        assert {a.kind for a in op.args} <= KINDS, name


def test_schema_lists_every_operator_with_its_arguments() -> None:
    defs = build_schema()["$defs"]
    for name, op in CATALOG.items():
        props = defs[f"operator_{name}"]["properties"]
        assert {a.name for a in op.args} <= set(props)
        definition = defs[f"operator_{name}"]
        # required arguments: of a task that is not mapped (a mapped task may map them instead)
        required = set(definition["required"]) | set(definition.get("else", {}).get("required", []))
        assert required == {"operator"} | {a.name for a in op.args if a.required}
        if required != {"operator"}:
            assert definition["if"] == {"anyOf": [{"required": ["expand"]}, {"required": ["expand_kwargs"]}]}
        # what a task may be mapped over: the operator's own arguments
        assert set(props["expand"]["properties"]) == {a.name for a in op.args}
        assert set(props["expand_kwargs"]["items"]["properties"]) == {a.name for a in op.args}


def test_sensor_arguments_are_typed_durations() -> None:
    defs = build_schema()["$defs"]
    sensor = defs["operator_file_sensor"]["properties"]
    assert sensor["poke_interval"]["$ref"] == "#/$defs/duration"
    assert sensor["timeout"]["$ref"] == "#/$defs/duration"
    assert sensor["mode"]["enum"] == ["poke", "reschedule"]
    assert defs["operator_external_task_sensor"]["properties"]["execution_delta"]["$ref"] == "#/$defs/duration"
