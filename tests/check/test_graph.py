from __future__ import annotations

import pytest

from dagfactory.check.graph import ChainSyntaxError, build_graph, parse_chain
from dagfactory.load.document import load_text


def ids(text: str) -> list[list[str]]:
    return [[ref.task_id for ref in step] for step in parse_chain(text)]


def test_parse_chain_with_fan_out_and_in():
    assert ids("a >> [b, c] >> d") == [["a"], ["b", "c"], ["d"]]
    assert ids("x.y-1>>z") == [["x.y-1"], ["z"]]
    step = parse_chain("a >> [b,  c]")[1]
    assert [(r.task_id, r.offset) for r in step] == [("b", 6), ("c", 10)]


@pytest.mark.parametrize("text", ["a >>", ">> a", "a >> [b, c", "a >> [b,, c]", "a b >> c", "[a, b] >> [c, d]"])
def test_malformed_chains(text):
    with pytest.raises(ChainSyntaxError):
        parse_chain(text)


def graph_of(tasks: str, edges: list[str]):
    text = "tasks:\n" + "".join(f"  {t}: {{}}\n" for t in tasks.split()) + "edges:\n"
    text += "".join(f"  - {e}\n" for e in edges)
    doc, problems = load_text(text, "g.yaml")
    assert problems == []
    return build_graph(doc)


def test_edges_fan_out_fan_in_in_source_order():
    graph, problems = graph_of("a b c d", ["a >> [b, c] >> d", "a >> b"])
    assert problems == []
    assert graph.edges == (("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"))


def test_cycle_reported_once_at_the_closing_edge_with_its_path():
    _graph, problems = graph_of("a b c d", ["a >> b >> c", "d >> a", "c >> a"])
    assert [(p.code, p.line, p.column) for p in problems] == [("DF304", 9, 10)]
    assert problems[0].message == "cycle in task graph: a -> b -> c -> a"


def test_two_independent_cycles_are_both_reported():
    _graph, problems = graph_of("a b c d", ["a >> b >> a", "c >> d >> c"])
    assert sorted(p.message for p in problems) == [
        "cycle in task graph: a -> b -> a",
        "cycle in task graph: c -> d -> c",
    ]


def test_unknown_task_points_at_its_column_with_a_hint():
    _, problems = graph_of("extract load", ["extract >> laod"])
    (problem,) = problems
    assert (problem.code, problem.line, problem.column) == ("DF302", 5, 16)
    assert problem.hint == "did you mean 'load'?"
