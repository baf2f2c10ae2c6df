"""Parsing of the spec's typed strings: durations, dates, cron expressions, import paths.

Each parser returns a value or raises :class:`ValueError` with a message a user
can act on; the validator turns that into a diagnostic at the value's line.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

_UNIT_NAMES = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds"}
_COMPACT_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@dataclass(frozen=True)
class Duration:
    """A duration as the user wrote it: ((unit, amount), ...), units as timedelta keywords."""

    parts: tuple[tuple[str, int | float], ...]

    def total_seconds(self) -> float:
        factor = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
        return sum(factor[unit] * amount for unit, amount in self.parts)


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def parse_duration(value: object) -> Duration:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return Duration((("seconds", value),))
    text = value.strip()
    if text.isdigit():
        return Duration((("seconds", int(text)),))
    iso = _ISO.match(text)
    if iso and any(iso.groups()):
        units = ("days", "hours", "minutes", "seconds")
        return Duration(tuple((u, _number(g)) for u, g in zip(units, iso.groups()) if g is not None))
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


# --- cron --------------------------------------------------------------------------------

_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            n: i + 1
            for i, n in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
        },
    ),
    ("day of week", 0, 7, {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)


def check_cron(expression: str) -> None:
    """Validate a standard 5-field cron expression (names, ranges, steps, lists)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"cron expression {expression!r} has {len(fields)} fields; it needs 5 "
            "(minute hour day-of-month month day-of-week)"
        )
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS):
        for item in text.split(","):
            _check_cron_item(item, name, low, high, names)


def _check_cron_item(item: str, name: str, low: int, high: int, names: dict[str, int]) -> None:
    base, _, step = item.partition("/")
    if step and not (step.isdigit() and 0 < int(step) <= high):
        raise ValueError(f"invalid step {step!r} in the {name} field")
    if base == "*":
        return
    bounds = base.split("-")
    if len(bounds) > 2 or not all(bounds):
        raise ValueError(f"invalid {name} {item!r}")
    numbers = [_cron_number(b, name, low, high, names) for b in bounds]
    if len(numbers) == 2 and numbers[0] > numbers[1]:
        raise ValueError(f"range {base!r} in the {name} field runs backwards")


def _cron_number(text: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a valid {name}")
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"{name} {number} is out of range {low}-{high}")
    return number


# --- import paths ------------------------------------------------------------------------


def parse_import_path(value: str) -> tuple[str, str]:
    """``package.module:function`` -> (module, attribute).

    Each name must be one Python reads back unchanged: Python compares identifiers after
    NFKC normalisation, so ``ｍｙｍｏｄ:ｆ`` would import ``mymod:f``, and two spellings the
    compiler sees as different could bind one name in the generated file.
    """
    module, sep, attr = value.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"{value!r} is not an import path; write package.module:function")
    for part in module.split(".") + [attr]:
        normal = unicodedata.normalize("NFKC", part)
        if keyword.iskeyword(normal):
            raise ValueError(f"{value!r} is not a valid import path: {part!r} is a Python keyword")
        if not part.isidentifier():
            raise ValueError(f"{value!r} is not a valid import path: {part!r} is not a Python name")
        if normal != part:
            raise ValueError(
                f"{value!r} is not a valid import path: Python reads {part!r} as {normal!r}; write {normal!r}"
            )
    return module, attr
