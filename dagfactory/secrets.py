"""A lint for secrets written into a spec.

A spec is committed to git and its values are copied into the generated DAG file, so
a password in a spec is a password in two repositories and in Airflow's UI. This
warns (DF209; an error with ``--warnings-as-errors``) on:

* a key named like a credential (``password``, ``pw``, ``secret``, ``token``,
  ``api_key`` ...) whose value is a literal, not a template such as
  ``{{ var.value.db_password }}`` or ``{{ conn.my_db.password }}``;
* a value that looks like a credential wherever it is: an AWS access key id, a
  private key block, a GitHub or Slack token, a URI with a password in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.loader import Document, JsonPath

_SECRET_KEY = re.compile(
    r"(?:^|_)(?:password|passwd|passphrase|pw|pwd|secret|token|api_?key|access_?key|private_?key|credentials?)(?:$|_)",
    re.IGNORECASE,
)
_SECRET_VALUES = (
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@{}]+:[^/\s@{}]+@"), "a URI with a password"),
)
HINT = (
    "keep secrets out of specs: use an Airflow Variable ({{ var.value.name }}) or a Connection "
    "(conn_id, {{ conn.name.password }}), set in Airflow or a secrets backend"
)


def _walk(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, path + (index,))


def _is_literal(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(value.strip()) and "{{" not in value


def find_secrets(doc: Document) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for path, value in _walk(doc.data, ()):
        name = path[-1] if path and isinstance(path[-1], str) else None
        if name is not None and _SECRET_KEY.search(name) and _is_literal(value):
            found.append(
                doc.diagnostic(
                    path,
                    "DF209",
                    f"{name!r} looks like a secret written into the spec",
                    key=True,
                    severity="warning",
                    hint=HINT,
                )
            )
        elif isinstance(value, str):
            what = next((label for pattern, label in _SECRET_VALUES if pattern.search(value)), None)
            if what:
                found.append(
                    doc.diagnostic(path, "DF209", f"this value looks like {what}", severity="warning", hint=HINT)
                )
    return found
