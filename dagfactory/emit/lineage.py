"""Lineage as text and pictures: the doc_md rows, the repo graph (JSON, Mermaid, DOT, HTML)
and one pipeline's task graph (Mermaid, DOT).

Every label from a spec is escaped for its target format here, so a URI or task id can
never break out of a Mermaid label, a DOT string or the HTML page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from dagfactory.check.lineage import RepoLineage
from dagfactory.emit.describe import asset_key, describe_schedule, pipeline_assets, tasks_in_order
from dagfactory.model import AssetRef, Pipeline, Task

# --- the repo graph ------------------------------------------------------------------------


def repo_document(pipelines: list[Pipeline], repo: RepoLineage) -> dict[str, Any]:
    """The repo's lineage as plain data: what `--format json` prints and the HTML page embeds."""
    names: dict[str, str | None] = {}
    for p in pipelines:
        for assets in pipeline_assets(p).values():
            for a in assets:
                names.setdefault(asset_key(a.uri), a.name)
    return {
        "pipelines": [_pipeline_data(p, describe_schedule(p.schedule, p.timezone).replace("`", "")) for p in pipelines],
        "assets": [
            {"uri": u, "name": names.get(u), "producers": repo.producers(u), "consumers": repo.consumers(u)}
            for u in repo.assets()
        ],
        "edges": _edges(repo),
    }


def _pipeline_data(p: Pipeline, schedule: str) -> dict[str, Any]:
    owner = p.business_owner
    assets = pipeline_assets(p)
    upstream: dict[str, list[str]] = {t.task_id: [] for t in p.tasks}
    for up, down in p.all_edges:
        upstream[down].append(up)
    return {
        "dag_id": p.dag_id,
        "source": p.source,
        "description": p.description,
        "owner": p.owner,
        "business_owner": {"name": owner.name, "email": owner.email, "team": owner.team},
        "schedule": schedule,
        "inputs": [_asset_data(a) for a in assets["input"] + assets["trigger"]],
        "outputs": [_asset_data(a) for a in assets["output"]],
        "tasks": [_task_data(t, upstream[t.task_id]) for t in tasks_in_order(p)],
    }


def _task_data(t: Task, upstream: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"task_id": t.task_id, "operator": t.class_name, "upstream": upstream}
    if t.group is not None:  # only grouped tasks carry these: ungrouped output is unchanged
        data["group"] = t.group
        data["airflow_task_id"] = t.airflow_task_id
    if t.is_mapped:  # likewise: only mapped tasks say so
        data["mapped"] = True
    return data


def _asset_data(a: AssetRef) -> dict[str, str | None]:
    return {"uri": a.uri, "key": asset_key(a.uri), "name": a.name, "description": a.description}


def _edges(repo: RepoLineage) -> list[dict[str, str]]:
    edges = []
    for p in repo.pipelines:
        edges += [{"from": u, "to": p.dag_id, "kind": "triggers"} for u in p.triggers]
        edges += [{"from": u, "to": p.dag_id, "kind": "reads"} for u in p.reads if u not in p.triggers]
        edges += [{"from": p.dag_id, "to": u, "kind": "writes"} for u in p.writes]
    return edges


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _ids(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    ids = {("pipeline", p["dag_id"]): f"p{i}" for i, p in enumerate(document["pipelines"])}
    ids |= {("asset", a["uri"]): f"a{i}" for i, a in enumerate(document["assets"])}
    return ids


def _ends(edge: dict[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    if edge["kind"] == "writes":
        return ("pipeline", edge["from"]), ("asset", edge["to"])
    return ("asset", edge["from"]), ("pipeline", edge["to"])


def mermaid_label(text: str) -> str:
    """A quoted Mermaid label: quotes and markup characters become Mermaid entity codes."""
    codes = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "&": "#amp;", "`": "#96;"}
    return '"' + "".join(codes.get(c, c) for c in " ".join(text.split())) + '"'


def to_mermaid(document: dict[str, Any]) -> str:
    ids = _ids(document)
    lines = ["flowchart LR"]
    lines += [f"    {ids[('pipeline', p['dag_id'])]}[{mermaid_label(p['dag_id'])}]" for p in document["pipelines"]]
    lines += [f"    {ids[('asset', a['uri'])]}[({mermaid_label(a['uri'])})]" for a in document["assets"]]
    for edge in document["edges"]:
        start, end = _ends(edge)
        arrow = " -. triggers .-> " if edge["kind"] == "triggers" else " --> "
        lines.append(f"    {ids[start]}{arrow}{ids[end]}")
    lines += ["    classDef asset fill:#eef6ff,stroke:#4a78b5", "    classDef pipeline fill:#fff4e0,stroke:#b57a1c"]
    if document["assets"]:
        lines.append("    class " + ",".join(ids[("asset", a["uri"])] for a in document["assets"]) + " asset")
    if document["pipelines"]:
        lines.append(
            "    class " + ",".join(ids[("pipeline", p["dag_id"])] for p in document["pipelines"]) + " pipeline"
        )
    return "\n".join(lines) + "\n"


def dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def to_dot(document: dict[str, Any]) -> str:
    ids = _ids(document)
    lines = ["digraph lineage {", "    rankdir=LR;", '    node [fontname="Helvetica"];']
    for p in document["pipelines"]:
        node = ids[("pipeline", p["dag_id"])]
        lines.append(
            f'    {node} [label={dot_string(p["dag_id"])}, shape=box, style="rounded,filled", fillcolor="#fff4e0"];'
        )
    for a in document["assets"]:
        node = ids[("asset", a["uri"])]
        lines.append(f'    {node} [label={dot_string(a["uri"])}, shape=cylinder, style=filled, fillcolor="#eef6ff"];')
    for edge in document["edges"]:
        start, end = _ends(edge)
        style = ' [style=dashed, label="triggers"]' if edge["kind"] == "triggers" else ""
        lines.append(f"    {ids[start]} -> {ids[end]}{style};")
    return "\n".join([*lines, "}"]) + "\n"


# --- one pipeline's task graph -------------------------------------------------------------


def _nested_groups(p: Pipeline) -> list[tuple[int, str, list[str]]]:
    """(depth, group id, its own task ids in drawing order), each group after its parent, in spec order."""
    own: dict[str, list[str]] = {}
    for task in tasks_in_order(p):
        if task.group is not None:
            own.setdefault(task.group, []).append(task.task_id)
    children: dict[str | None, list[str]] = {}
    for group in p.groups:
        children.setdefault(group.parent, []).append(group.group_id)
    out: list[tuple[int, str, list[str]]] = []

    def visit(parent: str | None, depth: int) -> None:
        for gid in children.get(parent, []):
            out.append((depth, gid, own.get(gid, [])))
            visit(gid, depth + 1)

    visit(None, 0)
    return out


def _nodes_in_groups(
    p: Pipeline, node: Callable[[str], str], opening: Callable[[int, str], list[str]], closing: str
) -> list[str]:
    """The node lines of a task graph: the tasks outside groups, then each group's block (its
    ``opening`` lines, its own tasks, then the ``closing`` of every group that ends there),
    indented by depth; Mermaid's subgraphs and DOT's clusters alike."""
    lines = [node(t.task_id) for t in tasks_in_order(p) if t.group is None]
    groups = _nested_groups(p)
    for index, (depth, group, tasks) in enumerate(groups):
        pad = "    " * (depth + 1)
        lines += [pad + line for line in opening(index, group)]
        lines += [pad + node(t) for t in tasks]
        following = groups[index + 1][0] if index + 1 < len(groups) else 0
        lines += ["    " * (d + 1) + closing for d in range(depth, following - 1, -1)]
    return lines


def _mermaid_node(p: Pipeline, ids: dict[str, str], task_id: str) -> str:
    """A task's node line: a branch task (one with `branches:`) is a decision diamond, a mapped
    task a double-edged box (Mermaid's subroutine shape: many instances of one task)."""
    task = p.task(task_id)
    label = mermaid_label(task.airflow_task_id)
    if task.branches:
        return f"    {ids[task_id]}{{{label}}}"
    return f"    {ids[task_id]}[[{label}]]" if task.is_mapped else f"    {ids[task_id]}[{label}]"


def _dot_node(p: Pipeline, ids: dict[str, str], task_id: str) -> str:
    """A branch task is a diamond, a mapped task has a double outline."""
    task = p.task(task_id)
    shape = ", shape=diamond" if task.branches else ""
    shape += ", peripheries=2" if task.is_mapped else ""
    return f"    {ids[task_id]} [label={dot_string(task.airflow_task_id)}{shape}];"


def task_graph_mermaid(p: Pipeline) -> str:
    """Tasks (named as Airflow names them), groups as nested subgraphs, labels on their edges."""
    ids = {t.task_id: f"t{i}" for i, t in enumerate(tasks_in_order(p))}
    lines = ["flowchart LR"]
    lines += _nodes_in_groups(
        p,
        lambda t: _mermaid_node(p, ids, t),
        lambda index, group: [f"subgraph g{index}[{mermaid_label(p.group(group).airflow_id)}]"],
        "end",
    )
    for up, down in p.all_edges:
        label = p.graph.label(up, down)
        arrow = f" -->|{mermaid_label(label)}| " if label is not None else " --> "
        if (up, down) not in p.graph.edge_set:  # a setup to its teardown, by as_teardown
            arrow = " -.-> "
        lines.append(f"    {ids[up]}{arrow}{ids[down]}")
    return "\n".join(lines) + "\n"


def task_graph_dot(p: Pipeline) -> str:
    """Tasks, groups as nested clusters, labels on their edges."""
    ids = {t.task_id: f"t{i}" for i, t in enumerate(tasks_in_order(p))}
    lines = [f"digraph {dot_string(p.dag_id)} {{", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    lines += _nodes_in_groups(
        p,
        lambda t: _dot_node(p, ids, t),
        lambda index, group: [f"subgraph cluster_{index} {{", f"    label={dot_string(p.group(group).airflow_id)};"],
        "}",
    )
    for up, down in p.all_edges:
        label = p.graph.label(up, down)
        attrs = f" [label={dot_string(label)}]" if label is not None else ""
        if (up, down) not in p.graph.edge_set:  # a setup to its teardown, by as_teardown
            attrs = " [style=dashed]"
        lines.append(f"    {ids[up]} -> {ids[down]}{attrs};")
    return "\n".join([*lines, "}"]) + "\n"
