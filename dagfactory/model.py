"""The typed model of a valid spec: frozen dataclasses the renderer reads.

Built only from documents that passed validation, so construction does not
re-check anything; typed strings (durations, dates, import paths) are parsed
into values here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from dagfactory.check.graph import TaskGraph, build_graph
from dagfactory.check.groups import GroupTree, group_tree
from dagfactory.check.lineage import RepoLineage
from dagfactory.check.project import SpecResult
from dagfactory.check.references import KEY, XCOM, allows_references, find_references, is_reference
from dagfactory.load.files import FileScope, scope_of
from dagfactory.load.references import embed_files
from dagfactory.operators import CATALOG, task_arg_kinds
from dagfactory.operators.base import COMMON_ARGS, Operator, class_path_arg_kind
from dagfactory.operators.taskflow import Flavour, flavour_of
from dagfactory.values import Duration, parse_date, parse_duration, parse_import_path


@dataclass(frozen=True)
class Callable:
    module: str
    attr: str

    @property
    def path(self) -> str:
        return f"{self.module}:{self.attr}"


@dataclass(frozen=True)
class XCom:
    """Another task's result (an XComArg in Airflow), or one key of it: ``{xcom: source, key: key}``."""

    source: str  # the spec task id of the task whose result it is
    key: str | None = None


@dataclass(frozen=True)
class AssetRef:
    uri: str
    name: str | None = None
    description: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.uri


@dataclass(frozen=True)
class Owner:
    name: str
    email: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class Schedule:
    kind: str  # "preset" | "cron" | "none" | "every" | "assets"
    value: str | Duration | tuple[AssetRef, ...] | None


@dataclass(frozen=True)
class Group:
    group_id: str  # as written under `groups:`
    airflow_id: str  # its group_id in Airflow: prefixed by its parent's when the parent prefixes
    parent: str | None  # the group it sits in
    tooltip: str | None
    prefix_group_id: bool
    default_args: tuple[tuple[str, Any], ...]  # converted values, in spec order


@dataclass(frozen=True)
class Task:
    task_id: str
    operator: Operator | None  # None: a full class path operator
    module: str
    class_name: str
    args: tuple[tuple[str, Any], ...]  # converted values, in spec order
    inputs: tuple[AssetRef, ...]
    outputs: tuple[AssetRef, ...]
    doc_md: str | None
    group: str | None = None  # the task group it belongs to
    airflow_id: str = ""  # its task_id in Airflow: group-prefixed (default: task_id)
    setup: bool = False  # `setup: true`: rendered with as_setup() unless a teardown names it
    teardown_setups: tuple[str, ...] = ()  # a teardown's setups (spec task ids); () when not a teardown
    on_failure_fail_dagrun: bool | None = None  # a teardown's, when the spec sets it
    branches: tuple[str, ...] = ()  # a branch task's `branches:` (spec task ids), documented, never passed
    flavour: Flavour | None = None  # a TaskFlow task's (`task:`); its `args` are then decorator arguments
    callable: Callable | None = None  # a TaskFlow task's function
    call_args: tuple[tuple[str, Any], ...] = ()  # a TaskFlow task's `args:`, passed when calling the function
    # Dynamic task mapping: `expand:` as (keyword, values or another task's result) in spec order, or
    # `expand_kwargs:` as argument sets or another task's result; `args` (and a TaskFlow task's
    # `call_args`) are then the partial arguments, the same for every map index.
    expand: tuple[tuple[str, tuple[Any, ...] | XCom], ...] = ()
    expand_kwargs: tuple[tuple[tuple[str, Any], ...], ...] | XCom | None = None

    @property
    def airflow_task_id(self) -> str:
        return self.airflow_id or self.task_id

    @property
    def is_mapped(self) -> bool:
        return bool(self.expand) or self.expand_kwargs is not None

    @property
    def mapped_over(self) -> tuple[XCom, ...]:
        """The results of other tasks this task is mapped over, in spec order."""
        found = [v for _, v in self.expand if isinstance(v, XCom)]
        return tuple(found + ([self.expand_kwargs] if isinstance(self.expand_kwargs, XCom) else []))

    @cached_property
    def xcoms(self) -> tuple[XCom, ...]:
        """Every reference to another task's result in this task's arguments, then the results it is
        mapped over, in spec order."""
        found: list[XCom] = []
        todo: list[Any] = list(reversed(self.mapped_over))
        todo += [v for _, v in reversed(self.call_args)] + [v for _, v in reversed(self.args)]
        while todo:
            value = todo.pop()
            if isinstance(value, XCom):
                found.append(value)
            elif isinstance(value, dict):
                todo.extend(reversed(list(value.values())))
            elif isinstance(value, list):
                todo.extend(reversed(value))
        return tuple(found)


@dataclass(frozen=True)
class Pipeline:
    source: str  # the spec's path, as shown in diagnostics and headers
    dag_id: str
    description: str
    owner: str
    business_owner: Owner
    schedule: Schedule
    start_date: datetime
    end_date: datetime | None
    timezone: str
    catchup: bool
    max_active_runs: int | None
    max_active_tasks: int | None
    dagrun_timeout: Duration | None
    tags: tuple[str, ...]
    default_args: tuple[tuple[str, Any], ...]
    macros: dict[str, Any]
    params: dict[str, Any]
    inputs: tuple[AssetRef, ...]
    outputs: tuple[AssetRef, ...]
    doc_md: str | None
    tasks: tuple[Task, ...]
    graph: TaskGraph
    groups: tuple[Group, ...] = ()  # in spec order
    # Filled by the compiler, which sees the whole repo: other pipelines' dag_ids by asset URI.
    producers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ...that write what this one reads
    consumers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ...that read what this one writes

    @cached_property
    def _task_of(self) -> dict[str, Task]:
        return {t.task_id: t for t in self.tasks}

    @cached_property
    def _group_of(self) -> dict[str, Group]:
        return {g.group_id: g for g in self.groups}

    def task(self, task_id: str) -> Task:
        return self._task_of[task_id]

    def group(self, group_id: str) -> Group:
        return self._group_of[group_id]

    @cached_property
    def reference_edges(self) -> frozenset[tuple[str, str]]:
        """The (source, task) edges the references to another task's result make."""
        return frozenset((x.source, t.task_id) for t in self.tasks for x in t.xcoms if x.source != t.task_id)

    @property
    def all_edges(self) -> tuple[tuple[str, str], ...]:
        """The DAG's edges in Airflow: the graph's, then each (setup, teardown) edge that
        ``as_teardown(setups=...)`` adds and the spec did not write."""
        implicit = [(s, t.task_id) for t in self.tasks for s in t.teardown_setups]
        return tuple(dict.fromkeys([*self.graph.edges, *implicit]))


# `sla` reaches the model only when the target has it (Airflow 2): a duration, like execution_timeout.
_SLA_KIND = {"sla": "duration"}


def convert(kind: str | None, value: Any) -> Any:
    """A validated spec value -> the value the renderer emits (durations, callables)."""
    if value is None:
        return None
    if kind == "duration":
        return parse_duration(value)
    if kind == "callable":
        return Callable(*parse_import_path(value))
    if kind == "callables":
        items = value if isinstance(value, list) else [value]
        converted = [Callable(*parse_import_path(v)) for v in items]
        return converted if isinstance(value, list) else converted[0]
    return value


def with_xcoms(value: Any) -> Any:
    """``value`` with every reference ``{xcom: ..., key: ...}`` in it (at any depth) made an :class:`XCom`."""
    if is_reference(value):
        return XCom(value[XCOM], value.get(KEY))
    if isinstance(value, dict):
        return {k: with_xcoms(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_xcoms(v) for v in value]
    return value


def asset(value: str | dict[str, Any]) -> AssetRef:
    if isinstance(value, str):
        return AssetRef(value)
    return AssetRef(value["uri"], value.get("name"), value.get("description"))


def _assets(values: list[Any] | None) -> tuple[AssetRef, ...]:
    return tuple(asset(v) for v in values or [])


def _schedule(value: Any) -> Schedule:
    if value is None:
        return Schedule("none", None)
    if isinstance(value, dict):
        if "every" in value:
            return Schedule("every", parse_duration(value["every"]))
        return Schedule("assets", _assets(value["assets"]))
    return Schedule("preset" if value.startswith("@") else "cron", value)


def _catalog_arg(operator: Operator, name: str, value: Any, base: FileScope) -> tuple[str, Any]:
    """(keyword, value) of a catalog argument: .sql files embedded, old names renamed."""
    arg = operator.arg(name)
    if arg is None:
        return name, value
    return arg.keyword, embed_files(base, arg, value)


def _default_args(values: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    common = {a.name: a.kind for a in COMMON_ARGS}
    return tuple((k, convert(common.get(k), v)) for k, v in (values or {}).items())


def _groups(data: dict[str, Any], tree: GroupTree) -> tuple[Group, ...]:
    return tuple(
        Group(
            gid,
            tree.full_group_id(gid),
            tree.parent[gid],
            body.get("tooltip"),
            tree.prefix[gid],
            _default_args(body.get("default_args")),
        )
        for gid, body in (data.get("groups") or {}).items()
    )


def _task(task_id: str, data: dict[str, Any], base: FileScope, tree: GroupTree) -> Task:
    flavour = flavour_of(data)
    name = data.get("operator") or ""
    operator = CATALOG.get(name)
    kinds = {**_SLA_KIND, **task_arg_kinds(data)}
    if flavour is not None:
        module, class_name = "", flavour.shown
    elif operator:
        module, class_name = operator.module, operator.class_name
    else:
        module, _, class_name = name.rpartition(".")
    skip = {"operator", "task", "callable", "args", "inputs", "outputs", "doc_md", "group", "setup", "teardown"}
    pairs = [(k, v) for k, v in data.items() if k not in skip | {"branches", "expand", "expand_kwargs"}]
    if operator:
        pairs = [_catalog_arg(operator, k, v, base) for k, v in pairs]
    args = tuple((k, _value(data, k, kinds.get(k), v)) for k, v in pairs)
    call_args = tuple((k, with_xcoms(v)) for k, v in (data.get("args") or {}).items()) if flavour else ()
    expand, expand_kwargs = _mapping(data, operator if flavour is None else None, flavour is not None, kinds, base)
    return Task(
        task_id,
        operator,
        module,
        class_name,
        args,
        _assets(data.get("inputs")),
        _assets(data.get("outputs")),
        data.get("doc_md"),
        tree.task_group[task_id],
        tree.airflow_task_id(task_id),
        data.get("setup") is True,
        tuple((data.get("teardown") or {}).get("setups") or ()),
        (data.get("teardown") or {}).get("on_failure_fail_dagrun"),
        tuple(data.get("branches") or ()),
        flavour,
        convert("callable", data.get("callable")),
        call_args,
        expand,
        expand_kwargs,
    )


def _mapping(
    data: dict[str, Any], operator: Operator | None, taskflow: bool, kinds: Mapping[str, str], base: FileScope
) -> tuple[tuple[tuple[str, tuple[Any, ...] | XCom], ...], tuple[tuple[tuple[str, Any], ...], ...] | XCom | None]:
    """A task's ``expand`` and ``expand_kwargs``: each literal value converted like the argument it
    is mapped into (a TaskFlow task's function arguments are passed as written), a reference made an
    :class:`XCom`."""

    def values(name: str, items: list[Any]) -> tuple[Any, ...]:
        if taskflow:
            return tuple(items)
        return tuple(v for _, v in _arguments([(name, item) for item in items], operator, kinds, base))

    expand = tuple(
        (
            name if taskflow else _keyword(operator, name),
            with_xcoms(value) if is_reference(value) else values(name, value),
        )
        for name, value in (data.get("expand") or {}).items()
    )
    kwargs = data.get("expand_kwargs")
    if kwargs is None or is_reference(kwargs):
        return expand, None if kwargs is None else with_xcoms(kwargs)
    if taskflow:
        return expand, tuple(tuple(item.items()) for item in kwargs)
    return expand, tuple(_arguments(list(item.items()), operator, kinds, base) for item in kwargs)


def _keyword(operator: Operator | None, name: str) -> str:
    """The keyword the generated call passes a spec argument as (a catalog argument may be renamed)."""
    arg = operator.arg(name) if operator is not None else None
    return arg.keyword if arg is not None else name


def _arguments(
    pairs: list[tuple[str, Any]], operator: Operator | None, kinds: Mapping[str, str], base: FileScope
) -> tuple[tuple[str, Any], ...]:
    """(keyword, converted value) of each mapped argument: .sql files embedded, old names renamed;
    for a class path, a free argument is read by its name (callbacks, callables)."""
    if operator:
        pairs = [_catalog_arg(operator, k, v, base) for k, v in pairs]
    return tuple((k, convert(kinds.get(k) or (None if operator else class_path_arg_kind(k)), v)) for k, v in pairs)


def _value(task: dict[str, Any], name: str, kind: str | None, value: Any) -> Any:
    """A task argument's value for the renderer: references made :class:`XCom` where allowed."""
    if allows_references(task, name) and next(find_references(value, ()), None) is not None:
        return with_xcoms(value)
    return convert(kind, value)


def build_pipeline(
    data: dict[str, Any], graph: TaskGraph, source: str, default_dag_id: str, files: FileScope
) -> Pipeline:
    """``files``: where the spec's file references resolve and must stay (:func:`~dagfactory.load.files.scope_of`)."""
    owner = data["business_owner"]
    lineage = data.get("lineage") or {}
    end_date = data.get("end_date")
    tree = group_tree(data)
    return Pipeline(
        source=source,
        dag_id=data.get("dag_id") or default_dag_id,
        description=data["description"],
        owner=data["owner"],
        business_owner=Owner(owner["name"], owner.get("email"), owner.get("team")),
        schedule=_schedule(data["schedule"]),
        start_date=parse_date(data["start_date"]),
        end_date=parse_date(end_date) if end_date is not None else None,
        timezone=data.get("timezone") or "UTC",
        catchup=bool(data.get("catchup", False)),
        max_active_runs=data.get("max_active_runs"),
        max_active_tasks=data.get("max_active_tasks"),
        dagrun_timeout=convert("duration", data.get("dagrun_timeout")),
        tags=tuple(data.get("tags") or ()),
        default_args=_default_args(data.get("default_args")),
        macros=dict(data.get("macros") or {}),
        params=dict(data.get("params") or {}),
        inputs=_assets(lineage.get("inputs")),
        outputs=_assets(lineage.get("outputs")),
        doc_md=data.get("doc_md"),
        tasks=tuple(_task(tid, t, files, tree) for tid, t in data["tasks"].items()),
        graph=graph,
        groups=_groups(data, tree),
    )


def model_of(result: SpecResult, lineage: RepoLineage | None = None) -> Pipeline:
    """The model of one spec that passed every check; with the project's ``lineage``, it also
    knows which other pipelines produce its inputs and consume its outputs."""
    doc = result.document
    assert doc is not None, "only a spec without errors has a model"
    assert result.ok, "only a spec without errors has a model"
    graph = result.graph if result.graph is not None else build_graph(doc)[0]  # restored: cheap to rebuild
    pipeline = build_pipeline(doc.data, graph, result.spec.display, result.spec.relative.stem, scope_of(doc))
    return replace(pipeline, **lineage.links(pipeline.dag_id)) if lineage is not None else pipeline
