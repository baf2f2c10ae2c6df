"""Parsing of the spec's typed strings: durations, dates, import paths (cron: :mod:`dagfactory.check.cron`).

Each parser returns a value or raises :class:`ValueError` with a message a user
can act on; the validator turns that into a diagnostic at the value's line.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_UNIT_NAMES = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds"}
# ASCII digits only, as in the schema's patterns: editors' regexes read \d as [0-9].
_COMPACT_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|d|h|m|s)")
_ISO = re.compile(r"P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?")
_SECONDS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Duration:
    """A duration as the user wrote it: ((unit, amount), ...), units as timedelta keywords."""

    parts: tuple[tuple[str, int | float], ...]

    def to_timedelta(self) -> timedelta:
        """What the generated file's ``timedelta(...)`` call evaluates to."""
        return timedelta(**dict(self.parts))

    def total_seconds(self) -> float:
        return self.to_timedelta().total_seconds()


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _fits(duration: Duration, value: object) -> Duration:
    """A duration becomes a `datetime.timedelta` in the DAG file: it must fit one."""
    try:
        duration.to_timedelta()
    except OverflowError:
        raise ValueError(f"{value!r} is longer than a Python timedelta holds (999999999 days)") from None
    return duration


def parse_duration(value: object) -> Duration:
    """A duration that fits a ``timedelta``; ValueError (never OverflowError) otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return _fits(Duration((("seconds", value),)), value)
    if len(value) > 100:  # also keeps int() below Python's 4300-digit limit
        raise ValueError(f"{value[:20]!r}... is too long for a duration")
    return _fits(_parse_duration_text(value.strip(), value), value)


def _parse_duration_text(text: str, value: str) -> Duration:
    if _SECONDS.fullmatch(text):
        return Duration((("seconds", int(text)),))
    iso = _ISO.fullmatch(text)
    if iso and any(iso.groups()):
        units = ("days", "hours", "minutes", "seconds")
        return Duration(tuple((u, _number(g)) for u, g in zip(units, iso.groups(), strict=True) if g is not None))
    parts: list[tuple[str, int | float]] = []
    pos = 0
    for match in _COMPACT_PART.finditer(text):
        if match.start() != pos:
            break
        unit = _UNIT_NAMES[match.group(2)]
        if any(u == unit for u, _ in parts):
            raise ValueError(f"{value!r} names the unit {match.group(2)!r} twice")
        parts.append((unit, _number(match.group(1))))
        pos = match.end()
    if not parts or pos != len(text):
        raise ValueError(f"{value!r} is not a duration")
    return Duration(tuple(parts))


def parse_date(value: object) -> datetime:
    """A date or a local (naive) datetime; offsets are refused: the time zone is `timezone:`."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    try:
        if len(text) == 10:
            parsed_date = date.fromisoformat(text)
            return datetime(parsed_date.year, parsed_date.month, parsed_date.day)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date") from None
    if parsed.tzinfo is not None:
        raise ValueError(f"{value!r} has a UTC offset; write the local time and set `timezone:`")
    return parsed


# --- import paths ------------------------------------------------------------------------


def parse_import_path(value: str) -> tuple[str, str]:
    """``package.module:function`` -> (module, attribute).

    Each name must be one Python reads back unchanged: Python compares identifiers after
    NFKC normalisation, so ``mymod:f`` spelt in fullwidth letters (U+FF4D U+FF59 ...) would
    import ``mymod:f``, and two spellings the compiler sees as different could bind one name
    in the generated file.
    """
    module, sep, attr = value.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"{value!r} is not an import path; write package.module:function")
    for part in [*module.split("."), attr]:
        problem = identifier_problem(part)
        if problem is not None:
            raise ValueError(f"{value!r} is not a valid import path: {problem}")
    return module, attr


def identifier_problem(name: str) -> str | None:
    """Why ``name`` cannot be written as a Python name that reads back unchanged, or None.

    Python compares identifiers after NFKC normalisation (``ﬁle`` is ``file``), so a name
    that normalisation changes is refused: it would not be the name the compiler believes it
    writes."""
    normal = unicodedata.normalize("NFKC", name)
    if keyword.iskeyword(normal):
        return f"{name!r} is a Python keyword"
    if not name.isidentifier():
        return f"{name!r} is not a Python name"
    if normal != name:
        return f"Python reads {name!r} as {normal!r}; write {normal!r}"
    return None
