"""The spec head the construct tests (groups, branching, teardown, references, mapping) put
before the body they check: five lines, so a body's first line is the spec's line 6."""

from __future__ import annotations

from dagfactory.load.document import Document, load_text

HEAD = """description: x
owner: me
business_owner: {name: A}
schedule: "@daily"
start_date: 2024-01-01
"""  # five lines: a spec's body starts at line 6


def document(body: str) -> Document:
    """The spec made of HEAD and ``body``, loaded (it must load without a problem)."""
    doc, problems = load_text(HEAD + body, "s.yaml")
    assert doc is not None
    assert problems == []
    return doc
