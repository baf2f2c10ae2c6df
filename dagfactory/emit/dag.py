"""Render a :class:`Pipeline` to the text of an Airflow 3 DAG file.

The render data is built here as :class:`PyCode` (escaped by construction);
the Jinja2 template only lays it out. The template's ``finalize`` hook escapes
anything that is not PyCode, so a template edit cannot print a raw spec value.
The result is compiled (to bytecode, discarded), as the bytes that will be written,
before anyone writes it.
"""

from __future__ import annotations

import functools
import io
import itertools
import tokenize
from typing import TYPE_CHECKING, Any

from dagfactory.diagnostics import printable
from dagfactory.emit.docs import render_doc
from dagfactory.emit.order import Reenter, reference_order
from dagfactory.emit.pycode import (
    INDENT,
    Call,
    PyCode,
    Subscript,
    argument,
    block_string_literal,
    call_block,
    identifier,
    inline,
    is_reserved,
    literal,
    python_name,
    string_literal,
    text_width,
)
from dagfactory.emit.writer import HEADER
from dagfactory.model import AssetRef, Callable, Group, Pipeline, Schedule, Task, XCom
from dagfactory.targets import DEFAULT as DEFAULT_TARGET
from dagfactory.targets import PLAIN_IMPORTS, STDLIB_IMPORTS, Target
from dagfactory.values import Duration

if TYPE_CHECKING:  # imported when rendering only: `validate` never loads jinja2
    import jinja2


class RenderError(Exception):
    """The compiler produced invalid Python: a bug in dagfactory, never the user's fault."""


def header(source: str) -> str:
    """The fixed two header lines, then the spec's path on the third: below the two lines where
    Python looks for a source encoding declaration, so no file name can choose the encoding."""
    return f"{HEADER}# Source: {printable(source)}"  # printable: the comment cannot end early


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    def finalize(value: Any) -> str:
        return value if isinstance(value, PyCode) else literal(value)

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dagfactory.emit", "templates"),
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    return env


def _isort_key(name: str) -> tuple[int, str, str]:
    """isort's (and ruff's) default member order: CONSTANTS, then Classes, then functions."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name.lower(), name


# Names the template itself binds or uses; they and the modules imported whole
# (:data:`~dagfactory.targets.PLAIN_IMPORTS`) are never an import alias or task variable.
TEMPLATE_NAMES = frozenset({"dag", "DOC_MD"})


class _Imports:
    """The file's imports and every local name they bind: one allocator, so an operator
    class, a callable and a task variable can never share a name, nor shadow a builtin."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], str] = {}  # (module, attr) -> local name
        self.taken: set[str] = set(TEMPLATE_NAMES | PLAIN_IMPORTS)

    def add(self, module: str, attr: str) -> PyCode:
        key = (module, attr)
        if key not in self.names:
            if not module:  # `import pendulum`: its name is reserved from the start
                assert attr in PLAIN_IMPORTS, attr
                local = attr
            elif attr in self.taken or is_reserved(attr):
                # Same attribute from another module, a builtin or a template name: alias it
                # after its module, e.g. `from etl.hooks import notify as hooks_notify`.
                local = python_name(f"{module.rsplit('.', 1)[-1]}_{attr}", self.taken)
            else:
                local = attr
            self.taken.add(local)
            self.names[key] = local
        return identifier(self.names[key])

    def groups(self) -> list[list[str]]:
        def statement(module: str, parts: list[str]) -> str:
            text = f"from {module} import {', '.join(parts)}"
            if len(text) <= 88:
                return text
            # ruff/isort's wrapped form, so the generated file stays lint-clean
            return f"from {module} import (\n" + "".join(f"    {part},\n" for part in parts) + ")"

        def lines(module: str, attrs: list[tuple[str, str]]) -> list[str]:
            """isort's defaults: the plain names of a module in one statement, each aliased one in a
            statement of its own (no combine-as-imports), the statements in member order."""
            ordered = sorted(attrs, key=lambda pair: _isort_key(pair[0]))
            plain = [a for a, local in ordered if a == local]
            found = [(_isort_key(a), [f"{a} as {local}"]) for a, local in ordered if a != local]
            if plain:
                found.append((_isort_key(plain[0]), plain))
            return [statement(module, parts) for _, parts in sorted(found)]

        by_module: dict[str, list[tuple[str, str]]] = {}
        for (module, attr), local in self.names.items():
            if module:
                by_module.setdefault(module, []).append((attr, local))
        plain = sorted(f"import {attr}" for (module, attr) in self.names if not module)
        stdlib = [text for m, a in sorted(by_module.items()) if m in STDLIB_IMPORTS for text in lines(m, a)]
        other = [
            text
            for m, a in sorted(by_module.items(), key=lambda i: i[0].lower())
            if m not in STDLIB_IMPORTS
            for text in lines(m, a)
        ]
        return [g for g in (stdlib, plain + other) if g]


def render_reference(ref: XCom, names: dict[str, PyCode], taskflow: bool) -> PyCode | Subscript:
    """The Python of a reference to task ``ref.source``'s result (an XComArg), given the task
    variables: a TaskFlow task's variable is its call's result, an XComArg itself (``extract``,
    ``extract["rows"]``); a classic operator's result is its ``.output`` (``load.output["rows"]``)."""
    base = names[ref.source] if taskflow else PyCode(f"{names[ref.source]}.output")
    return base if ref.key is None else Subscript(base, ref.key)


class _Renderer:
    def __init__(self, pipeline: Pipeline, target: Target = DEFAULT_TARGET):
        self.p = pipeline
        self.target = target  # import paths and class names of the Airflow major
        self.imports = _Imports()
        self.lineage = task_lineage(pipeline)
        self.names: dict[str, PyCode] = {}  # task variables, known once every import is

    def value(self, value: Any) -> Any:
        """Convert model values into literals or trusted calls (imports recorded)."""
        if isinstance(value, Duration):
            delta = self.imports.add("datetime", "timedelta")
            return Call(delta, kwargs=tuple((u, a) for u, a in value.parts))
        if isinstance(value, Callable):
            return self.imports.add(value.module, value.attr)
        if isinstance(value, AssetRef):
            kwargs: tuple[tuple[str, Any], ...] = (("uri", value.uri),)
            if value.name and self.target.asset_takes_name:  # else the name is in the docs only
                kwargs = (("name", value.name), *kwargs)
            return Call(self.imports.add(*self.target.asset_import), kwargs=kwargs)
        if isinstance(value, XCom):
            if not self.names:  # the first pass, which only collects the imports
                return PyCode("_")
            return render_reference(value, self.names, self.p.task(value.source).flavour is not None)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def schedule(self, schedule: Schedule) -> Any:
        if schedule.kind == "none":
            return None
        return self.value(schedule.value)

    def date(self, value: Any) -> Call:
        fields = [value.year, value.month, value.day]
        time = [value.hour, value.minute, value.second, value.microsecond]
        while time and time[-1] == 0:
            time.pop()
        return Call(self.imports.add("", "pendulum") + ".datetime", tuple(fields + time), (("tz", self.p.timezone),))

    def dag_args(self) -> list[tuple[PyCode, Any]]:
        p = self.p
        default_args: dict[str, Any] = {"owner": p.owner}
        default_args |= {k: self.value(v) for k, v in p.default_args}
        args: list[tuple[str, Any]] = [
            ("dag_id", p.dag_id),
            ("description", p.description),
            ("schedule", self.schedule(p.schedule)),
            ("start_date", self.date(p.start_date)),
        ]
        if p.end_date is not None:
            args.append(("end_date", self.date(p.end_date)))
        args.append(("catchup", p.catchup))
        optional = [
            ("max_active_runs", p.max_active_runs),
            ("max_active_tasks", p.max_active_tasks),
            ("dagrun_timeout", self.value(p.dagrun_timeout) if p.dagrun_timeout else None),
            ("tags", list(p.tags) or None),
        ]
        args += [(k, v) for k, v in optional if v is not None]
        args.append(("default_args", default_args))
        if p.macros:
            args.append(("user_defined_macros", p.macros))
        if p.params:
            args.append(("params", p.params))
        args.append(("doc_md", PyCode("DOC_MD")))
        return [(identifier(k), argument(f"{k}=", v, 1)) for k, v in args]

    def task(self, task: Task, depth: int = 1) -> PyCode:
        """The operator call of ``task`` at ``depth`` levels of indentation (its imports recorded)."""
        if task.flavour is not None:
            return self.taskflow(task, depth)
        module, class_name = task.module, task.class_name
        if task.operator is not None:
            module, class_name = self.target.operator_path(task.operator.name, module, class_name)
        cls = self.imports.add(module, class_name)
        if not task.is_mapped:
            return call_block(cls, self.task_arguments(task), depth)
        # Dynamic task mapping: Op.partial(every argument but the mapped ones).expand(...)
        return PyCode(call_block(f"{cls}.partial", self.task_arguments(task), depth) + self.expansion(task, depth))

    def expansion(self, task: Task, depth: int) -> str:
        """``.expand(name=[...], other=upstream.output)`` or ``.expand_kwargs([...])``: what a mapped
        task's map indexes take, one argument per line (what ``ruff format`` keeps)."""
        if task.expand_kwargs is not None:
            if isinstance(task.expand_kwargs, XCom):
                return call_block(".expand_kwargs", [("", self.value(task.expand_kwargs))], depth)
            sets = [{k: self.value(v) for k, v in item} for item in task.expand_kwargs]
            return call_block(".expand_kwargs", [("", sets)], depth)
        mapped = [(identifier(k) + "=", self.value(v if isinstance(v, XCom) else list(v))) for k, v in task.expand]
        return call_block(".expand", mapped, depth)

    def task_arguments(self, task: Task) -> list[tuple[str, Any]]:
        """``task_id=``, the task's arguments, its docs and lineage: an operator's keyword arguments."""
        parts: list[tuple[str, Any]] = [("task_id=", task.task_id)]
        parts += [(identifier(k) + "=", self.value(v)) for k, v in task.args]
        if task.doc_md is not None:
            parts.append(("doc_md=", task.doc_md))
        inlets, outlets = self.lineage[task.task_id]
        if inlets:
            parts.append(("inlets=", self.value(inlets)))
        if outlets:
            parts.append(("outlets=", self.value(outlets)))
        return parts

    def taskflow(self, task: Task, depth: int) -> PyCode:
        """``task(task_id=..., ...)(function)(name=value, ...)``: the TaskFlow decorator applied to the
        function, called with the task's ``args``; one line when it fits, else the decorator's and
        the call's arguments one per line (what ``ruff format`` keeps)."""
        assert task.flavour is not None
        assert task.callable is not None
        decorator = self.imports.add(*self.target.task_import)
        if task.flavour.decorator:
            decorator = PyCode(f"{decorator}.{task.flavour.decorator}")
        function = self.value(task.callable)
        parts = self.task_arguments(task)
        call = [(identifier(k) + "=", self.value(v)) for k, v in task.call_args]
        head = f"{decorator}({', '.join(p + inline(v) for p, v in parts)})({function})"
        used = len(INDENT * depth) + len(self.names.get(task.task_id, "")) + 3
        # a multi-line string reads best as a block: its call is laid out one argument per line
        scripts = [any(isinstance(v, str) and "\n" in v for _, v in side) for side in (parts, call)]

        def block(at: int) -> str:  # the decorator's arguments one per line, then (function)
            return call_block(decorator, parts, at) + f"({function})"

        if task.is_mapped:  # task(...)(function)[.partial(args)].expand(...): `args` are the partial ones
            if call:  # a chain of two calls after the decorator: ruff format lays it out fluently
                inner = INDENT * (depth + 1)
                fits = not scripts[0] and len(inner) + text_width(head) <= 88
                chain = [head if fits else block(depth + 1), call_block(".partial", call, depth + 1)]
                chain.append(self.expansion(task, depth + 1))
                return PyCode("(\n" + "".join(f"{inner}{link}\n" for link in chain) + INDENT * depth + ")")
            fits = not scripts[0] and used + text_width(head + ".expand(") <= 88
            return PyCode((head if fits else block(depth)) + self.expansion(task, depth))
        line = f"{head}({', '.join(p + inline(v) for p, v in call)})"
        if not any(scripts) and used + text_width(line) <= 88:
            return PyCode(line)
        arguments = call_block("", call, depth) if call else "()"
        if call and not scripts[0] and used + text_width(head) + 1 <= 88:
            return PyCode(head + arguments)
        return PyCode(block(depth) + arguments)

    def group(self, group: Group, depth: int) -> PyCode:
        """The ``TaskGroup(...)`` call of ``group`` (its imports recorded)."""
        parts: list[tuple[str, Any]] = [("group_id=", group.group_id)]
        if group.tooltip is not None:
            parts.append(("tooltip=", group.tooltip))
        if not group.prefix_group_id:
            parts.append(("prefix_group_id=", False))
        if group.default_args:
            parts.append(("default_args=", {k: self.value(v) for k, v in group.default_args}))
        return call_block(self.imports.add(*self.target.group_import), parts, depth)

    def layout(self) -> list[tuple[int, Task | Group]]:
        """Every task and group with its depth, in the order the DAG file states them: tasks in
        spec order, each group's block (holding its tasks and sub-groups) where its first task is."""
        groups = {g.group_id: g for g in self.p.groups}
        inside: dict[str | None, list[Task | Group]] = {}  # a group (None: the DAG) -> what it holds, in order
        for task in self.p.tasks:
            chain: list[str] = []  # the task's groups, outermost first
            group = task.group
            while group is not None:
                chain.insert(0, group)
                group = groups[group].parent
            container: str | None = None
            for gid in chain:
                if gid not in inside:  # the group's first task: its block stands here
                    inside.setdefault(container, []).append(groups[gid])
                    inside[gid] = []
                container = gid
            inside.setdefault(container, []).append(task)

        out: list[tuple[int, Task | Group]] = []

        def place(container: str | None, depth: int) -> None:
            for node in inside.get(container, []):
                out.append((depth, node))
                if isinstance(node, Group):
                    place(node.group_id, depth + 1)

        place(None, 1)
        return out

    def node(self, node: Task | Group | Reenter, depth: int) -> PyCode:
        if isinstance(node, Task):
            return self.task(node, depth)
        return self.group(node, depth) if isinstance(node, Group) else PyCode("")

    def ordered(self, layout: list[tuple[int, Task | Group]]) -> list[tuple[int, Task | Group | Reenter]]:
        return reference_order(layout, self.p.groups)

    def label(self, text: str) -> PyCode:
        """``Label("text")``: one line whatever its length (ruff never splits a string)."""
        return PyCode(f"{self.imports.add(*self.target.label_import)}({string_literal(text)})")

    def edges(self, names: dict[str, PyCode]) -> list[PyCode]:
        lines = []
        for chain in self.p.graph.chains:
            if chain.label is not None:
                lines.append(
                    self._labelled_edge(names[chain.steps[0][0].task_id], names[chain.steps[1][0].task_id], chain.label)
                )
                continue
            steps = []
            for step in chain.steps:
                refs = [names[r.task_id] for r in step]
                steps.append(refs[0] if len(refs) == 1 else "[" + ", ".join(refs) + "]")
            line = " >> ".join(steps)
            if len(line) + 4 <= 88:
                lines.append(PyCode(line))
            else:  # too long for one line: one statement per step, lists exploded
                for left, right in itertools.pairwise(chain.steps):
                    lines.append(self._long_edge([names[r.task_id] for r in left], [names[r.task_id] for r in right]))
        return lines

    def setup_teardown(self, names: dict[str, PyCode]) -> list[PyCode]:
        """``t.as_teardown(setups=s)`` for each teardown, ``s.as_setup()`` for a setup no teardown
        names (as_teardown marks the setups it is given). After the edges: a group edge (``g >> x``)
        then meets the same roots and leaves in Airflow as in the spec's graph; as_teardown adds
        each ``setup >> teardown`` edge itself."""
        named = {s for t in self.p.tasks for s in t.teardown_setups}
        lines = [PyCode(f"{names[t.task_id]}.as_setup()") for t in self.p.tasks if t.setup and t.task_id not in named]
        for task in self.p.tasks:
            if not task.teardown_setups:
                continue
            refs = [names[s] for s in task.teardown_setups]
            setups = refs[0] if len(refs) == 1 else PyCode("[" + ", ".join(refs) + "]")
            parts: list[tuple[str, Any]] = [("setups=", setups)]
            if task.on_failure_fail_dagrun is not None:
                parts.append(("on_failure_fail_dagrun=", task.on_failure_fail_dagrun))
            line = f"{names[task.task_id]}.as_teardown({', '.join(f'{k}{literal(v)}' for k, v in parts)})"
            if text_width(line) + 4 <= 88:
                lines.append(PyCode(line))
            else:
                if len(refs) > 1:
                    parts[0] = ("setups=", list(refs))
                lines.append(call_block(f"{names[task.task_id]}.as_teardown", parts, 1))
        return lines

    def _labelled_edge(self, up: PyCode, down: PyCode, text: str) -> PyCode:
        """``up.set_downstream(down, edge_modifier=Label(text))``: exactly this edge, labelled.

        Not ``up >> Label(text) >> down``: when the two ends are in different task groups,
        Airflow's Label replaces each task end by its whole group (every leaf of the group
        would become upstream), which is not the edge the spec wrote.
        """
        call = Call(self.imports.add(*self.target.label_import), (text,))
        parts: list[tuple[str, Any]] = [("", down), ("edge_modifier=", call)]
        line = f"{up}.set_downstream({down}, edge_modifier={self.label(text)})"
        if text_width(line) + 4 <= 88:
            return PyCode(line)
        return call_block(f"{up}.set_downstream", parts, 1)

    @staticmethod
    def _long_edge(left: list[PyCode], right: list[PyCode]) -> PyCode:
        """One edge statement too long for a line, in the layout ``ruff format`` keeps: a list
        exploded one name per line, or (two single names) each on its own line in parentheses."""

        def side(refs: list[PyCode], depth: int) -> PyCode:
            if len(refs) == 1:
                return refs[0]
            return literal(list(refs), depth, 88, 0)

        if len(left) > 1 or len(right) > 1:
            return PyCode(f"{side(left, 1)} >> {side(right, 1)}")
        line = f"{left[0]} >> {right[0]}"
        if len(line) + 4 <= 88:
            return PyCode(line)
        return PyCode(f"(\n{INDENT * 2}{left[0]}\n{INDENT * 2}>> {right[0]}\n{INDENT})")

    def render(self) -> str:
        self.imports.add(*self.target.dag_import)
        dag_args = self.dag_args()
        layout = self.ordered(self.layout())
        calls = [self.node(node, depth) for depth, node in layout]
        for chain in self.p.graph.chains:  # Label's import, before variables take the free names
            if chain.label is not None:
                self.label(chain.label)
        # Every import is known now: task variables take the names left free, then group variables.
        taken = set(self.imports.taken)
        names = {t.task_id: python_name(t.task_id, taken) for t in self.p.tasks}
        names |= {g.group_id: python_name(g.group_id, taken) for g in self.p.groups}
        if any(t.flavour is not None or t.xcoms for t in self.p.tasks):
            # References name task variables, and a TaskFlow call's layout depends on its variable's
            # width: render the calls again, now that the names are known (the imports stay).
            self.names = names
            calls = [self.node(node, depth) for depth, node in layout]
        body = []
        for (depth, node), call in zip(layout, calls, strict=True):
            if isinstance(node, Task):
                body.append(PyCode(f"{INDENT * depth}{names[node.task_id]} = {call}"))
            elif isinstance(node, Reenter):
                body.append(PyCode(f"{INDENT * depth}with {names[node.group_id]}:"))
            else:
                body.append(PyCode(f"{INDENT * depth}with {call} as {names[node.group_id]}:"))
        context = {
            "header": PyCode(header(self.p.source)),
            "doc_md": block_string_literal(render_doc(self.p)),
            "dag_args": dag_args,
            "body": body,
            "edges": self.edges(names) + self.setup_teardown(names),
        }
        context["import_groups"] = [[PyCode(line) for line in g] for g in self.imports.groups()]
        return _environment().get_template("dag.py.jinja").render(context)


def task_lineage(p: Pipeline) -> dict[str, tuple[tuple[AssetRef, ...], tuple[AssetRef, ...]]]:
    """Each task's (inlets, outlets). Tasks keep what they declare; the DAG-level
    ``lineage`` goes on the root tasks (inputs) and leaf tasks (outputs), unless some
    task already declares its own inputs (or outputs)."""
    has_upstream = {down for _, down in p.all_edges}
    has_downstream = {up for up, _ in p.all_edges}
    any_inputs = any(t.inputs for t in p.tasks)
    any_outputs = any(t.outputs for t in p.tasks)
    result = {}
    for t in p.tasks:
        inlets = t.inputs or (p.inputs if not any_inputs and t.task_id not in has_upstream else ())
        outlets = t.outputs or (p.outputs if not any_outputs and t.task_id not in has_downstream else ())
        result[t.task_id] = (inlets, outlets)
    return result


def render_pipeline(pipeline: Pipeline, target: Target = DEFAULT_TARGET) -> str:
    text = _Renderer(pipeline, target).render()
    check_source(text)
    return text


def check_source(text: str) -> None:
    """Compile ``text`` the way Python will import it: as the UTF-8 bytes the writer puts on disk,
    decoded by whatever encoding those bytes declare. Only UTF-8 is ever acceptable: under any
    other encoding the same bytes could mean other code than the text the renderer escaped."""
    try:  # never the user's fault below: the escaping failed
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RenderError(f"generated code cannot be written as UTF-8 ({exc.reason})") from exc
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise RenderError(f"generated code has an invalid encoding declaration ({exc.msg})") from exc
    if encoding != "utf-8":
        raise RenderError(f"generated code would be read as {encoding}, not UTF-8")
    try:  # bytes: the importer's own decoding, not the str we hold; compile, not ast.parse:
        # it also refuses what only the compiler checks (`__debug__ = ...`)
        compile(data, "<generated DAG file>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise RenderError(f"generated code does not parse ({exc.msg} at line {exc.lineno})") from exc
