"""The repo's lineage as one self-contained HTML page: an SVG graph laid out here, and one
card per pipeline drawn by inline JavaScript from embedded JSON. Nothing is fetched at view
time. Jinja2 autoescapes the page; the JSON is escaped so it cannot close its script tag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dagfactory.emit.lineage import _ends

COLUMN, ROW, WIDTH, HEIGHT, MARGIN = 290, 60, 230, 40, 24
LABEL_CHARS = 31


@dataclass(frozen=True)
class Node:
    key: tuple[str, str]  # ("pipeline", dag_id) or ("asset", uri)
    x: int
    y: int
    index: int  # the pipeline's card number (pipelines only)

    @property
    def label(self) -> str:
        text = self.key[1]
        return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _layers(
    keys: list[tuple[str, str]], edges: list[tuple[tuple[str, str], tuple[str, str]]]
) -> dict[tuple[str, str], int]:
    """Longest-path layering: every node one column right of its furthest upstream node.
    Bounded by the node count, so a cycle (an error, but the page still draws) terminates."""
    layer = dict.fromkeys(keys, 0)
    for _ in range(len(keys)):
        changed = False
        for up, down in edges:
            if layer[down] < layer[up] + 1 <= len(keys):
                layer[down], changed = layer[up] + 1, True
        if not changed:
            break
    return layer


def layout(document: dict[str, Any]) -> tuple[list[Node], list[dict[str, Any]], int, int]:
    keys = [("pipeline", p["dag_id"]) for p in document["pipelines"]]
    keys += [("asset", a["uri"]) for a in document["assets"]]
    ends = [(_ends(e), e["kind"]) for e in document["edges"]]
    layer = _layers(keys, [pair for pair, _ in ends])
    rows: dict[int, int] = {}
    card = {("pipeline", p["dag_id"]): i for i, p in enumerate(document["pipelines"])}
    nodes = {}
    for key in keys:
        column = layer[key]
        row = rows.get(column, 0)
        rows[column] = row + 1
        nodes[key] = Node(key, MARGIN + column * COLUMN, MARGIN + row * ROW, card.get(key, -1))
    paths = []
    for (start, end), kind in ends:
        a, b = nodes[start], nodes[end]
        x1, y1, x2, y2 = a.x + WIDTH, a.y + HEIGHT // 2, b.x, b.y + HEIGHT // 2
        bend = max(40, abs(x2 - x1) // 2)
        paths.append({"d": f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}", "kind": kind})
    width = MARGIN * 2 + (max(layer.values(), default=0) + 1) * COLUMN - (COLUMN - WIDTH)
    height = MARGIN * 2 + max(rows.values(), default=1) * ROW
    return list(nodes.values()), paths, width, height


def script_json(document: dict[str, Any]) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' can end the element or start a comment."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def to_html(document: dict[str, Any], title: str = "Pipeline lineage") -> str:
    import jinja2
    import markupsafe

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dagfactory.emit", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    nodes, paths, width, height = layout(document)
    return env.get_template("lineage.html.jinja").render(
        title=title,
        nodes=nodes,
        paths=paths,
        width=width,
        height=height,
        node_width=WIDTH,
        node_height=HEIGHT,
        data=markupsafe.Markup(script_json(document)),
        pipeline_count=len(document["pipelines"]),
        asset_count=len(document["assets"]),
    )
