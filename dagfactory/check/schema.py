"""The JSON Schema (Draft 2020-12) of a pipeline spec, built from the operator catalog.

``dagfactory schema`` prints :func:`build_schema`; the committed
``schemas/pipeline.schema.json`` is that output (a test keeps them equal).
Every property carries a ``description`` so editors can show help.
"""

from __future__ import annotations

import json
from typing import Any

from dagfactory.operators import CATALOG
from dagfactory.operators.base import COMMON_ARGS, TASK_ONLY_ARGS, Arg, Operator
from dagfactory.operators.taskflow import FLAVOURS, Flavour, flavour_args

SCHEMA_ID = "https://dagfactory.dev/schemas/pipeline.schema.json"

# Every pattern ends in `$(?!\n)`: in Python (which jsonschema uses) a bare `$` also matches
# before a final newline, so "ok\n" would pass as an id; editors' ECMA regexes agree with both.
ID_CHARS = r"[A-Za-z0-9_.\-]"  # what a dag id, task id or pool name is made of (the chain parser too)
_PYTHON_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
IDENTIFIER_PATTERN = rf"^{ID_CHARS}{{1,250}}$(?!\n)"
# A group id: Airflow joins a prefixed group's id and its tasks' ids with '.', so it has none.
GROUP_ID_PATTERN = r"^[A-Za-z0-9_\-]{1,250}$(?!\n)"
PYTHON_NAME_PATTERN = rf"^{_PYTHON_NAME}$(?!\n)"
CLASS_PATH_PATTERN = rf"^{_PYTHON_NAME}(\.{_PYTHON_NAME})+$(?!\n)"
# Digits are [0-9], not \d: Python's \d also matches other scripts' digits, editors' does not.
DURATION_PATTERN = (
    r"^(?:[0-9]+(?:\.[0-9]+)?(?:d|h|m|s|ms)(?:[0-9]+(?:\.[0-9]+)?(?:d|h|m|s|ms))*"
    r"|P(?=[0-9]|T[0-9])(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?|[0-9]+)$(?!\n)"
)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?$(?!\n)"
# Airflow keeps counts such as retries (task_instance.max_tries), pool_slots, priority_weight,
# max_active_runs/tasks and pool slots in 32-bit database columns: every integer is limited so.
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)

# What to tell a user whose value does not match a pattern.
PATTERN_HINTS: dict[str, str] = {
    IDENTIFIER_PATTERN: "use 1-250 letters, digits, '_', '-' or '.'",
    GROUP_ID_PATTERN: "use 1-250 letters, digits, '_' or '-' (no '.': Airflow joins group and task ids with it)",
    PYTHON_NAME_PATTERN: "use a Python identifier: letters, digits and '_', not starting with a digit",
    CLASS_PATH_PATTERN: "write the full import path of the class, e.g. "
    "airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator",
    DURATION_PATTERN: "write a duration like 30s, 5m, 1h30m, 2d, PT5M, or a whole number of seconds",
    DATE_PATTERN: "write a date like 2024-03-25 or a local datetime like 2024-03-25T06:00 "
    "(set the time zone with `timezone:`, not an offset)",
}

SCHEDULE_PRESETS = ("@once", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@continuous")


def _kind_schema(arg: Arg) -> dict[str, Any]:
    kind = arg.kind
    if kind in ("string", "integer", "number", "boolean"):
        schema: dict[str, Any] = {"type": kind}
    elif kind == "duration":
        return {"$ref": "#/$defs/duration", "description": arg.description}
    elif kind == "callable":
        schema = {"type": "string"}
    elif kind in ("callables", "strings"):
        schema = {"type": ["string", "array"], "items": {"type": "string"}}
    elif kind == "list":
        schema = {"type": "array"}
    elif kind == "mapping":
        schema = {"type": "object"}
    elif kind == "any":
        schema = {}
    else:  # pragma: no cover - guarded by the catalog tests
        raise ValueError(f"unknown argument kind {kind!r} for {arg.name}")
    if arg.choices:
        schema["enum"] = list(arg.choices)
    if arg.minimum is not None:
        schema["minimum"] = arg.minimum
    if kind == "integer":
        schema.setdefault("minimum", INT32_MIN)
        schema["maximum"] = INT32_MAX
    schema["description"] = arg.description
    return schema


def _args_properties(args: tuple[Arg, ...]) -> dict[str, Any]:
    return {arg.name: _kind_schema(arg) for arg in args}


# A reference to another task's result (an XComArg in Airflow): {xcom: task_id} or
# {xcom: task_id, key: name}. Its properties, for the templated arguments whose own type is
# not a mapping (a reference nested inside a list or mapping is checked by check/references.py).
XCOM_PROPERTIES: dict[str, Any] = {
    "xcom": {
        "type": "string",
        "pattern": IDENTIFIER_PATTERN,
        "description": "The task whose result (XCom) this value is; it becomes upstream of this task.",
    },
    "key": {
        "type": "string",
        "minLength": 1,
        "description": "One key of that result: the XCom the task pushed under this key "
        "(a key of its dict result when it has multiple_outputs).",
    },
}


def _templated_schema(arg: Arg) -> dict[str, Any]:
    """A templated argument also takes a reference {xcom: task_id, key: name} as its whole value."""
    schema = _kind_schema(arg)
    kinds = schema.get("type")
    if not arg.templated or kinds is None or kinds == "object" or (isinstance(kinds, list) and "object" in kinds):
        return schema
    return {
        **schema,
        "type": [*(kinds if isinstance(kinds, list) else [kinds]), "object"],
        "properties": XCOM_PROPERTIES,
        "required": ["xcom"],
        "additionalProperties": False,
        "description": schema["description"] + " Or another task's result: {xcom: task_id, key: name}.",
    }


def _lineage_list(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"$ref": "#/$defs/asset"}, "description": description}


def _task_base_properties() -> dict[str, Any]:
    props = _args_properties(COMMON_ARGS + TASK_ONLY_ARGS)
    props["inputs"] = _lineage_list("Data this task reads (Airflow inlets).")
    props["outputs"] = _lineage_list("Data this task writes (Airflow outlets).")
    props["sla"] = {"not": {}, "description": "Removed in Airflow 3; not accepted."}
    props["group"] = {
        "type": "string",
        "pattern": GROUP_ID_PATTERN,
        "description": "The task group (an id under `groups:`) this task belongs to.",
    }
    props["setup"] = {
        "type": "boolean",
        "description": "A setup task (Airflow's as_setup): teardowns name it in `teardown.setups`.",
    }
    props["teardown"] = {
        "$ref": "#/$defs/teardown",
        "description": "This task is a teardown (Airflow's as_teardown) of the setup tasks it names.",
    }
    return props


EXPAND_DESCRIPTION = (
    "Dynamic task mapping: argument name -> a non-empty list of values (or another task's result); "
    "one task instance (map index) "
    "per value, the cross product for several arguments. Every other argument is the same for all."
)
EXPAND_KWARGS_DESCRIPTION = (
    "Dynamic task mapping: a non-empty list of argument sets (mappings), one task instance per set. Not with `expand`."
)


def _or_result(schema: dict[str, Any], what: str) -> dict[str, Any]:
    """``schema`` (a list) or, in its place, another task's result {xcom: task_id}: what a task is
    mapped over (Airflow maps over a task's return value only; check/mapping.py refuses a `key`)."""
    return {
        **schema,
        "type": ["array", "object"],
        "properties": XCOM_PROPERTIES,
        "required": ["xcom"],
        "additionalProperties": False,
        "description": f"{schema['description']} Or another task's result, {what}: {{xcom: task_id}}.",
    }


def _mapped_list(items: dict[str, Any] | None, description: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "minItems": 1, "description": description}
    if items is not None:
        schema["items"] = items
    return _or_result(schema, "a list")


def _mapped_sets(items: dict[str, Any]) -> dict[str, Any]:
    return _or_result(
        {"type": "array", "minItems": 1, "items": items, "description": EXPAND_KWARGS_DESCRIPTION},
        "a list of mappings",
    )


def _mapping_properties(op: Operator) -> dict[str, Any]:
    """``expand`` and ``expand_kwargs`` of a catalog operator: only its own arguments are mapped
    (Airflow sets the common ones once for a mapped task; see check/mapping.py)."""
    lists = {
        # an item shaped like a reference passes here: check/references.py says where it belongs
        arg.name: _mapped_list(_templated_schema(arg), f"Mapped: one value per map index. {arg.description}")
        for arg in op.args
    }
    return {
        "expand": {
            "type": "object",
            "minProperties": 1,
            "properties": lists,
            "additionalProperties": False,
            "description": EXPAND_DESCRIPTION,
        },
        "expand_kwargs": _mapped_sets(
            {
                "type": "object",
                "properties": {a.name: _templated_schema(a) for a in op.args},
                "additionalProperties": False,
            }
        ),
    }


def _free_mapping_properties(what: str) -> dict[str, Any]:
    """``expand`` and ``expand_kwargs`` of a class-path operator (its free arguments) or of a
    TaskFlow task (its function's keyword arguments)."""
    return {
        "expand": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": PYTHON_NAME_PATTERN},
            "additionalProperties": _mapped_list(None, "Mapped: one value per map index."),
            "description": f"{EXPAND_DESCRIPTION} The names are {what}.",
        },
        "expand_kwargs": _mapped_sets({"type": "object", "propertyNames": {"pattern": PYTHON_NAME_PATTERN}}),
    }


# A mapped task may give a required argument in `expand` or `expand_kwargs` instead
# (check/mapping.py checks it there): the schema requires it only of a task that is not mapped.
_MAPPED = {"anyOf": [{"required": ["expand"]}, {"required": ["expand_kwargs"]}]}


def _operator_def(op: Operator) -> dict[str, Any]:
    props = {"operator": {"const": op.name, "description": f"{op.class_name}: {op.description}"}}
    props |= _task_base_properties()
    props |= {arg.name: _templated_schema(arg) for arg in op.args}
    props |= _mapping_properties(op)
    if op.name == "branch_python":
        props["branches"] = _branches_schema()
    definition: dict[str, Any] = {
        "type": "object",
        "description": f"{op.class_name} ({op.provider}): {op.description}",
        "properties": props,
        "required": ["operator"],
        "additionalProperties": False,
    }
    required = [a.name for a in op.args if a.required]
    if required:
        definition["if"] = _MAPPED
        definition["else"] = {"required": required}
    return definition


def _branches_schema() -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "pattern": IDENTIFIER_PATTERN},
        "description": "The task ids the callable may return, each a direct downstream task; "
        "checked and documented, not passed to Airflow.",
    }


def _taskflow_def(flavour: Flavour) -> dict[str, Any]:
    props: dict[str, Any] = {"task": {"const": flavour.name, "description": f"{flavour.shown}: {flavour.description}"}}
    props |= _task_base_properties()
    props |= _args_properties(flavour_args(flavour))
    props["args"] |= {"propertyNames": {"pattern": PYTHON_NAME_PATTERN}}
    props |= _free_mapping_properties("the function's keyword arguments; `args` are the partial ones")
    if flavour.name == "branch":
        props["branches"] = _branches_schema()
    return {
        "type": "object",
        "description": f"A TaskFlow task, {flavour.shown}: {flavour.description}",
        "properties": props,
        "required": ["task", *[a.name for a in flavour_args(flavour) if a.required]],
        "additionalProperties": False,
    }


def _class_path_def() -> dict[str, Any]:
    props = {"operator": {"type": "string", "description": "Full import path of the operator class."}}
    props |= _task_base_properties()
    props |= _free_mapping_properties("the operator's keyword arguments")
    return {
        "type": "object",
        "description": "Any operator by its full class path; other keys are passed as keyword arguments.",
        "properties": props,
        "propertyNames": {"pattern": PYTHON_NAME_PATTERN},
        "additionalProperties": {"description": "Passed to the operator as a keyword argument."},
    }


def _task_schema() -> dict[str, Any]:
    branches: list[dict[str, Any]] = [
        {
            "if": {"properties": {"operator": {"const": name}}, "required": ["operator"]},
            "then": {"$ref": f"#/$defs/operator_{name}"},
        }
        for name in sorted(CATALOG)
    ]
    branches.append(
        {
            "if": {"properties": {"operator": {"pattern": CLASS_PATH_PATTERN}}, "required": ["operator"]},
            "then": {"$ref": "#/$defs/operator_class_path"},
        }
    )
    branches += [
        {
            "if": {"properties": {"task": {"const": name}}, "required": ["task"]},
            "then": {"$ref": f"#/$defs/taskflow_{name}"},
        }
        for name in sorted(FLAVOURS)
    ]
    return {
        "type": "object",
        "description": "One task: `operator:` plus that operator's arguments, or a TaskFlow task: "
        "`task:` (python, branch, ...) plus `callable:` and its `args:`.",
        "if": {"required": ["task"]},
        "then": {
            "properties": {
                "task": {
                    "type": "string",
                    "enum": sorted(FLAVOURS),
                    "description": "A TaskFlow task (Airflow's @task) of this flavour, calling `callable:`.",
                }
            },
        },
        "else": {
            "required": ["operator"],
            "properties": {
                "operator": {
                    "type": "string",
                    "description": "A catalog operator or a full class path "
                    "(or write `task:` and `callable:` for a TaskFlow task).",
                    "anyOf": [{"enum": sorted(CATALOG)}, {"pattern": CLASS_PATH_PATTERN}],
                }
            },
        },
        "allOf": branches,
    }


def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = {
        "duration": {
            "type": ["string", "integer"],
            "pattern": DURATION_PATTERN,
            "minimum": 0,
            "description": "A duration: 30s, 5m, 1h, 2d, 1h30m, ISO-8601 PT5M, or whole seconds.",
        },
        "date": {
            "type": "string",
            "pattern": DATE_PATTERN,
            "description": "A date (2024-03-25) or local datetime (2024-03-25T06:00) in the DAG's time zone.",
        },
        "asset": {
            "type": ["string", "object"],
            "description": "A data asset: a URI string, or {uri, name, description}.",
            "minLength": 1,
            "properties": {
                "uri": {"type": "string", "minLength": 1, "description": "The asset's URI, e.g. s3://bucket/key."},
                "name": {"type": "string", "minLength": 1, "description": "A readable name (default: the URI)."},
                "description": {"type": "string", "description": "What this data is."},
                "shared": {
                    "type": "boolean",
                    "description": "Several pipelines write this asset on purpose (mark it in each of them).",
                },
            },
            "required": ["uri"],
            "additionalProperties": False,
        },
        "group": {
            "type": "object",
            "description": "One task group: tasks name it with `group:`; edges may name it like a task.",
            "additionalProperties": False,
            "properties": {
                "tooltip": {"type": "string", "description": "Shown when hovering over the group in the Airflow UI."},
                "prefix_group_id": {
                    "type": "boolean",
                    "description": "Prefix the ids of the group's tasks with the group id, as group.task "
                    "(default true, as in Airflow).",
                },
                "default_args": {
                    "type": "object",
                    "description": "default_args for the tasks in this group, over the DAG's.",
                    "properties": _args_properties(COMMON_ARGS),
                    "additionalProperties": False,
                },
                "group": {
                    "type": "string",
                    "pattern": GROUP_ID_PATTERN,
                    "description": "The group this group sits in (nesting).",
                },
            },
        },
        "edge": {
            "type": ["string", "object"],
            "minLength": 1,
            "description": "A chain a >> [b, c] >> d, or one labelled edge {from, to, label}.",
            "properties": {
                "from": {"type": "string", "pattern": IDENTIFIER_PATTERN, "description": "The upstream task or group."},
                "to": {"type": "string", "pattern": IDENTIFIER_PATTERN, "description": "The downstream task or group."},
                "label": {"type": "string", "minLength": 1, "description": "The edge's label in the Airflow UI."},
            },
            "required": ["from", "to", "label"],
            "additionalProperties": False,
        },
        "teardown": {
            "type": "object",
            "description": "This task is a teardown (Airflow's as_teardown) of the setup tasks it names.",
            "additionalProperties": False,
            "properties": {
                "setups": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "pattern": IDENTIFIER_PATTERN},
                    "description": "The setup tasks (each with `setup: true`) this task tears down: "
                    "a teardown without a setup is refused.",
                },
                "on_failure_fail_dagrun": {
                    "type": "boolean",
                    "description": "Whether this teardown failing fails the DAG run (Airflow's default: false).",
                },
            },
            "required": ["setups"],
        },
        "task": _task_schema(),
        "operator_class_path": _class_path_def(),
    }
    for name in sorted(CATALOG):
        defs[f"operator_{name}"] = _operator_def(CATALOG[name])
    for name in sorted(FLAVOURS):
        defs[f"taskflow_{name}"] = _taskflow_def(FLAVOURS[name])
    return defs


def _dag_properties() -> dict[str, Any]:
    return {
        "dag_id": {
            "type": "string",
            "pattern": IDENTIFIER_PATTERN,
            "description": "The DAG's id in Airflow (default: the spec file's stem).",
        },
        "description": {"type": "string", "minLength": 1, "description": "One line saying what this pipeline does."},
        "owner": {"type": "string", "minLength": 1, "description": "Technical owner: Airflow's `owner` of every task."},
        "business_owner": {
            "type": "object",
            "description": "Who asked for this data and answers questions about it.",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "description": "Person or group name."},
                "email": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$(?!\n)", "description": "Contact email."},
                "team": {"type": "string", "minLength": 1, "description": "Team or department."},
            },
        },
        "schedule": {
            "type": ["string", "null", "object"],
            "description": "When it runs: a preset (@daily ...), a 5-field cron string, null (manual only), "
            "{every: DURATION} or {assets: [URI, ...]}.",
            "properties": {
                "every": {"$ref": "#/$defs/duration", "description": "Run at a fixed interval."},
                "assets": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/$defs/asset"},
                    "description": "Run when every listed asset has been updated.",
                },
            },
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        },
        "start_date": {"$ref": "#/$defs/date", "description": "First logical date, in `timezone`."},
        "end_date": {"$ref": "#/$defs/date", "description": "Last logical date, in `timezone`."},
        "timezone": {"type": "string", "minLength": 1, "description": "IANA time zone of the dates (default UTC)."},
        "catchup": {"type": "boolean", "description": "Run missed intervals since start_date (default false)."},
        "max_active_runs": {
            "type": "integer",
            "minimum": 1,
            "maximum": INT32_MAX,
            "description": "At most this many runs at once.",
        },
        "max_active_tasks": {
            "type": "integer",
            "minimum": 1,
            "maximum": INT32_MAX,
            "description": "At most this many tasks at once.",
        },
        "pools": {
            "type": "object",
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
            "additionalProperties": {
                "type": "object",
                "required": ["slots"],
                "additionalProperties": False,
                "properties": {
                    "slots": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": INT32_MAX,
                        "description": "How many slots the pool has.",
                    },
                    "description": {"type": "string", "description": "What the pool protects."},
                },
            },
            "description": "Airflow pools this pipeline's tasks use, with their slots: "
            "`dagfactory requirements --pools` prints the `airflow pools set` commands.",
        },
        "dagrun_timeout": {"$ref": "#/$defs/duration", "description": "Fail a run that takes longer than this."},
        "tags": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": 100},
            "description": "Tags shown and filterable in the Airflow UI.",
        },
        "default_args": {
            "type": "object",
            "description": "Airflow default_args: task arguments applied to every task.",
            "properties": _args_properties(COMMON_ARGS),
            "additionalProperties": False,
        },
        "macros": {
            "type": "object",
            "propertyNames": {"pattern": PYTHON_NAME_PATTERN},
            "description": "Airflow user_defined_macros: names usable in templates as {{ name }}.",
        },
        "params": {
            "type": "object",
            "propertyNames": {"pattern": PYTHON_NAME_PATTERN},
            "description": "DAG params: defaults for {{ params.name }}, overridable when triggering.",
        },
        "lineage": {
            "type": "object",
            "description": "What data the pipeline reads and writes.",
            "additionalProperties": False,
            "properties": {
                "inputs": _lineage_list("Data the pipeline reads."),
                "outputs": _lineage_list("Data the pipeline writes."),
            },
        },
        "doc_md": {"type": "string", "description": "Extra Markdown appended to the generated documentation."},
        "groups": {
            "type": "object",
            "propertyNames": {"pattern": GROUP_ID_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/group"},
            "description": "Task groups, by id: tasks join one with `group:`.",
        },
        "tasks": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/task"},
            "description": "The tasks; each key is a task_id.",
        },
        "edges": {
            "type": "array",
            "items": {"$ref": "#/$defs/edge"},
            "description": "Dependency chains in Airflow's notation: a >> [b, c] >> d (task or group ids), "
            "or labelled edges {from, to, label}.",
        },
    }


def build_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "dagfactory pipeline spec v1",
        "description": "One YAML file describing one Airflow DAG, compiled by dagfactory.",
        "type": "object",
        "required": ["description", "owner", "business_owner", "schedule", "start_date", "tasks"],
        "additionalProperties": False,
        "properties": _dag_properties(),
        "$defs": _defs(),
    }


def schema_json() -> str:
    """The schema exactly as committed in ``schemas/pipeline.schema.json``."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
