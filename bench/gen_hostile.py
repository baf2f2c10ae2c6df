"""Specs near the 1 MB size limit, and their one-tenth versions (benchmark section 5; tests/emit/test_linearity.py).

Two families, each a (big, small) pair whose sizes differ tenfold:

- ``many_tasks(n)``: ``n`` tasks (bash, empty, python) with asset lineage on some, wired by
  chains of ten and fan-outs to ``[a, b, c]`` lists; 15,000 tasks come to about 1 MB;
- ``long_text(kind, size)``: a one-task spec whose ``description`` and ``doc_md`` together
  hold ``size`` bytes of one kind of awkward text (one character repeated, newlines, ``|``,
  backticks, quotes, ``{{``, non-ASCII, long words ...): the texts that escaping, Markdown
  cells and regexes handle character by character.
"""

from __future__ import annotations

_HEAD = """\
dag_id: {dag_id}
description: {description}
owner: bench
business_owner:
  name: Benchmark team
schedule: '@daily'
start_date: 2024-01-01
lineage:
  inputs: ["s3://bench/raw/{dag_id}"]
  outputs: ["s3://bench/out/{dag_id}"]
"""


def task_id(i: int) -> str:
    return f"t{i:05d}"


def _task_lines(i: int) -> list[str]:
    kind = i % 5
    if kind == 0:
        return [f"  {task_id(i)}: {{operator: bash, bash_command: 'echo {{{{ ds }}}}'}}"]
    if kind == 1:
        return [f"  {task_id(i)}: {{operator: empty, outputs: [s3://b/{i}]}}"]
    if kind == 2:
        return [f"  {task_id(i)}: {{operator: python, python_callable: m:f}}"]
    if kind == 3:
        return [f"  {task_id(i)}: {{operator: empty}}"]
    return [f"  {task_id(i)}: {{operator: empty, inputs: [s3://b/{i - 3}]}}"]


def _edge_lines(n: int) -> list[str]:
    """Blocks of 14 tasks: a chain of ten, then its last task fans out to three which join into the next."""
    lines = []
    for start in range(0, n - 13, 14):
        chain = " >> ".join(task_id(i) for i in range(start, start + 10))
        fan = ", ".join(task_id(i) for i in range(start + 10, start + 13))
        lines.append(f"  - {chain}")
        lines.append(f"  - {task_id(start + 9)} >> [{fan}] >> {task_id(start + 13)}")
        if start + 14 < n:
            lines.append(f"  - {task_id(start + 13)} >> {task_id(start + 14)}")
    return lines


def many_tasks(n: int, dag_id: str = "many_tasks") -> str:
    """A spec of ``n`` tasks with chains, fan-outs and lineage (15,000 tasks: just under 1 MB)."""
    lines = [_HEAD.format(dag_id=dag_id, description=f"{n} tasks").rstrip("\n"), "tasks:"]
    for i in range(n):
        lines += _task_lines(i)
    lines.append("edges:")
    lines += _edge_lines(n)
    return "\n".join(lines) + "\n"


# Each kind of text is a unit repeated to the size wanted; quoted as a YAML block scalar,
# so the spec's bytes are the text's bytes (plus two spaces of indent per line).
TEXT_KINDS: dict[str, str] = {
    "one_char": "a",
    "newlines": "x\n\n",
    "pipes": "|",
    "backticks": "`",
    "quotes": "\"'",
    "braces": "{{ ",
    "non_ascii": "데이터é☃",
    "long_words": "w" * 5000 + " ",
    "url_like": "a.b-c+d",  # a scheme's characters, with no "://": a regex looking for a URI backtracks
    "secret_words": "password=x&",
}


def _block(text: str, indent: str = "  ") -> str:
    """``text`` as a literal block scalar (``|-``), line by line."""
    return "|-\n" + "\n".join(indent + line if line else "" for line in text.split("\n"))


def long_text(kind: str, size: int, dag_id: str = "long_text") -> str:
    """A one-task spec of about ``size`` bytes, nearly all of it ``kind`` text in its
    description, its doc_md and its task's doc_md."""
    unit = TEXT_KINDS[kind]
    text = unit * (size // 3 // len(unit.encode()) + 1)
    spec = _long_text_spec(dag_id, text)
    while len(spec.encode()) > size:  # indentation adds bytes per line: trim to the budget
        text = text[: int(len(text) * size / len(spec.encode())) - 16]
        spec = _long_text_spec(dag_id, text)
    return spec


def _long_text_spec(dag_id: str, text: str) -> str:
    text = text.strip() or "text"
    lines = [
        f"dag_id: {dag_id}",
        f"description: {_block(text)}",
        "owner: bench",
        "business_owner:",
        "  name: Benchmark team",
        "schedule: '@daily'",
        "start_date: 2024-01-01",
        f"doc_md: {_block(text)}",
        "tasks:",
        "  only:",
        "    operator: bash",
        "    bash_command: echo hello",
        f"    doc_md: {_block(text, '      ')}",
    ]
    return "\n".join(lines) + "\n"


def deep_values(size: int, dag_id: str = "deep_values", depth: int = 60) -> str:
    """A one-task spec whose params are ``depth`` mappings deep (the loader allows 64) around a
    list of strings filling about ``size`` bytes: every level is too wide for one line."""
    lines = [_HEAD.format(dag_id=dag_id, description="deep params").rstrip("\n"), "params:"]
    lines += [f"{'  ' * (level + 1)}level_{level}:" for level in range(depth)]
    budget = size - sum(len(line) + 1 for line in lines) - 200
    items = [f"item number {i:06d} of the list" for i in range(budget // 32)]
    lines.append(f"{'  ' * (depth + 1)}[{', '.join(items)}]")
    lines += ["tasks:", "  only: {operator: empty}"]
    return "\n".join(lines) + "\n"
