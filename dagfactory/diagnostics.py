"""Diagnostics: what every stage returns when something is wrong, and how it is shown.

A diagnostic points at a file, line and column (1-based, like every editor and
``ruff``), carries a stable code from :data:`CODES`, a message saying what is
wrong, and optionally a hint saying what to do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]

# One table of every code the compiler emits. The README's table is checked
# against it by a test, so the two never drift.
CODES: dict[str, str] = {
    # Reading the file
    "DF001": "the file cannot be read or is not valid YAML",
    "DF002": "a key appears twice in the same mapping",
    "DF003": "a YAML feature the spec format does not allow (tags, merge keys, non-string keys)",
    "DF004": "the file exceeds a safety limit (size, nesting depth, alias expansion)",
    # Shape of the spec (JSON Schema)
    "DF101": "unknown key",
    "DF102": "a required key is missing",
    "DF103": "a value has the wrong type",
    "DF104": "a value is not one of the allowed choices",
    "DF105": "a value does not have the required form",
    "DF106": "a value is out of range or a list is empty",
    # Meaning of values
    "DF201": "invalid cron expression",
    "DF202": "unknown time zone",
    "DF203": "invalid duration",
    "DF204": "invalid date or datetime",
    "DF205": "invalid Python import path",
    "DF206": "inconsistent settings",
    "DF207": "deprecated in the target Airflow version (a warning)",
    "DF208": "a file the spec refers to (.sql, _defaults.yaml) cannot be used",
    "DF209": "a literal value looks like a secret (a warning)",
    # Task graph
    "DF301": "malformed edge chain",
    "DF302": "an edge or `group:` names a task or group that does not exist",
    "DF303": "a task depends on itself",
    "DF304": "the task graph has a cycle",
    "DF305": "a task group is invalid: its id is a task id, it nests in itself or more than 10 deep, it has no tasks, "
    "or a task's id in Airflow (group.task) is too long or taken",
    "DF306": "a task where a branch task's branches join is skipped by its trigger_rule when a branch is "
    "not chosen (a warning)",
    "DF307": "a setup or teardown task is invalid: a teardown names a task that is not a setup, a task is "
    "both, a teardown sets trigger_rule, or a setup's downstream task does not use all_success",
    "DF308": "a branch task's `branches` names a task that is not directly downstream of it",
    "DF309": "a reference to another task's result ({xcom: task_id, key: name}) is misplaced or malformed: "
    "outside a TaskFlow task's `args` or an operator's templated argument (the DAG's `params` and `macros` "
    "included), with other keys, or naming a task "
    "that has no result",
    "DF311": "an argument cannot be mapped: not an argument of the operator, one Airflow sets once for a "
    "mapped task, given both mapped and plain, or `expand` with `expand_kwargs`",
    "DF312": "a task is mapped over nothing Airflow can map: an empty list or mapping, or an XCom other than "
    "a task's return value",
    # Writing output
    "DF401": "an output file exists that dagfactory did not generate",
    "DF402": "two specs compile to the same output file or dag_id",
    "DF403": "the output cannot be written, or would land outside the output folder",
    "DF404": "an output file would shadow a Python module the DAG files import (stdlib, airflow, a callable's)",
    # Project configuration ([tool.dagfactory] or dagfactory.toml)
    "DF601": "the configuration file cannot be read or is not valid TOML",
    "DF602": "unknown configuration key",
    "DF603": "a configuration value has the wrong type or is not allowed",
    # Deep check against installed Airflow (`dagfactory check`)
    "DF501": "the installed operator does not accept an argument, or lacks a required one",
    "DF502": "a generated DAG file fails to import in Airflow",
    # Lineage across specs (the repo's pipeline/asset graph)
    "DF701": "two pipelines write the same asset (mark it `shared: true` in each if intended)",
    "DF702": "a schedule waits for an asset no spec writes (a warning)",
    "DF703": "pipelines form a cycle through the assets they read and write",
    # Never expected
    "DF900": "internal compiler error (a bug in dagfactory: please report it)",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place. Ordering sorts by file, then position."""

    path: str
    line: int
    column: int
    code: str
    message: str
    severity: Severity = "error"
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a typo here is a compiler bug, caught by tests
            raise ValueError(f"unknown diagnostic code {self.code}")

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format_text(self) -> str:
        # A file name or message with a line break must not forge a second diagnostic line.
        path, message = printable(self.path), printable(self.message)
        text = f"{path}:{self.line}:{self.column}: {self.severity}[{self.code}]: {message}"
        if self.hint:
            text += f"\n  hint: {printable(self.hint)}"
        return text

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    def format_github(self) -> str:
        # GitHub workflow commands: data must escape %, CR and LF; properties also , and :
        def esc(value: str, prop: bool = False) -> str:
            value = printable(value).replace("%", "%25")
            if prop:
                value = value.replace(":", "%3A").replace(",", "%2C")
            return value

        message = f"[{self.code}] {self.message}" + (f" (hint: {self.hint})" if self.hint else "")
        return (
            f"::{self.severity} file={esc(self.path, True)},line={self.line},"
            f"col={self.column},title={esc('dagfactory ' + self.code, True)}::{esc(message)}"
        )


def printable(text: str) -> str:
    """``text`` on one line of a terminal, log or source comment: printable characters as they
    are, every other one (line breaks of any kind, control and format characters, lone
    surrogates from file names that are not UTF-8) as a Python-style escape."""
    return text if text.isprintable() else "".join(c if c.isprintable() else hex_escape(c) for c in text)


def hex_escape(char: str) -> str:
    """``char`` as a Python escape of its code point (``\\x1b``, ``\\u2028``, ``\\U0001f600``):
    also how generated string literals write unprintable characters (:mod:`dagfactory.emit.pycode`)."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def closest(word: str, choices: list[str]) -> str | None:
    """The choice ``word`` is a near miss of, if any."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: list[str]) -> str | None:
    """The hint for a near miss: ``did you mean 'schedule'?``, or None when nothing is close."""
    close = closest(word, choices)
    return f"did you mean {close!r}?" if close else None


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diagnostics))


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def render(diagnostics: Iterable[Diagnostic], fmt: str) -> str:
    """Render diagnostics as ``text``, ``json`` or ``github``; returns '' for none (text)."""
    items = sort_diagnostics(diagnostics)
    if fmt == "json":
        text = json.dumps([d.to_json() for d in items], indent=2, ensure_ascii=False)
        # a lone surrogate (a file name that is not UTF-8) cannot be printed: as a JSON \u escape
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    if fmt == "github":
        return "\n".join(d.format_github() for d in items)
    return "\n".join(d.format_text() for d in items)
