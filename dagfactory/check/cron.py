"""Cron expressions, checked the way Airflow's cron library (croniter) will read them.

Airflow turns a cron string into a timetable backed by croniter; a string croniter refuses,
or one that never fires, makes the DAG fail to load or to schedule. This module accepts the
standard five fields (minute hour day-of-month month day-of-week) with names, lists, ranges,
steps, ``?``, ``L`` (last day of month), ``nW`` (nearest weekday) and ``d#n`` (n-th weekday),
exactly where croniter accepts them (``tests/airflow/test_agreement.py`` compares the two on
generated expressions).

Some strings croniter accepts are refused on purpose, with :class:`CronNotPortable`: they
mean something other than what they say (``7-7`` or ``jan-jan`` means the whole field, ``5-1``
wraps around), are croniter's own extensions (``L5``, ``W15``, ``mon-wed#2``), or add seconds
as a sixth field, which Airflow documents as unsupported. :class:`CronUnclear` ones are refused
whatever croniter says, as its verdict depends on chance (``R``), on today's date (a seventh,
year field) or on the calendar (a day of month together with a ``W``, ``L`` or ``#`` weekday,
which croniter requires both of, where standard cron takes either).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# croniter splits on ASCII whitespace only: a no-break space is not a separator.
_SEPARATOR = re.compile(r"[ \t\n\r\f\v]+")
_DIGITS = re.compile(r"[0-9]+")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_RANDOM = re.compile(r"[rh](?:\([0-9]+-[0-9]+\))?(?:/[0-9]+)?")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February: leap years fire


class CronNotPortable(ValueError):
    """croniter (so Airflow) takes the expression, but not with the meaning it shows."""


class CronUnclear(CronNotPortable):
    """Refused whether croniter takes it or not: its verdict depends on chance (``R``), on today's
    date (a year field) or on the calendar (day of month AND an ``L``/``W``/``#`` day)."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i

    def number(self, text: str, below_low: bool = False) -> int:
        """``below_low``: croniter checks a range's end against the field's top only."""
        if text in self.names:
            return self.low + self.names.index(text)
        if not _DIGITS.fullmatch(text):
            raise ValueError(f"{text!r} is not a valid {self.name}")
        number = int(text)
        if not (self.low <= number or below_low) or number > self.high:
            raise ValueError(f"{self.name} {number} is out of range {self.low}-{self.high}")
        return number


_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DAY = _Field("day of month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_WEEKDAY = _Field("day of week", 0, 7, _DAY_NAMES)  # 7 is Sunday too
_FIELDS = (_MINUTE, _HOUR, _DAY, _MONTH, _WEEKDAY)
# croniter's extra fields: seconds after the five, then the year.
_EXTRA_FIELDS = (_Field("second", 0, 59), _Field("year", 1970, 2099))


def check_cron(expression: str) -> None:
    """Raise ValueError (CronNotPortable for the deliberate refusals) unless Airflow runs it as written.

    A deliberate refusal is raised only once the whole expression has passed croniter's own
    rules: an expression croniter refuses anyway is a plain error."""
    fields = _SEPARATOR.split(expression.strip(" \t\n\r\f\v"))
    if len(fields) not in (5, 6, 7):
        raise ValueError(
            f"cron expression {expression!r} has {len(fields)} fields; it needs 5 "
            "(minute hour day-of-month month day-of-week)"
        )
    fields = [f.lower() for f in fields]
    deferred: list[CronNotPortable] = []
    # 5, 6 or 7 fields: a shorter expression takes only the first specs.
    values = [
        _field_values(text, spec, deferred, fields[2])
        for text, spec in zip(fields, _FIELDS + _EXTRA_FIELDS, strict=False)
    ]
    _check_fires(fields, values[2], values[3])
    _check_day_fields(fields, deferred)
    if len(fields) > 5:
        unclear = CronUnclear if len(fields) == 7 else CronNotPortable  # a year field's verdict depends on today
        deferred.insert(
            0,
            unclear(
                f"cron expression {expression!r} has {len(fields)} fields; Airflow supports the standard 5 "
                "(its cron library would read the 6th as seconds and the 7th as the year)"
            ),
        )
    if deferred:  # an unclear verdict first: the test of agreement trusts Airflow on the others
        raise next((e for e in deferred if isinstance(e, CronUnclear)), deferred[0])


def _field_values(text: str, spec: _Field, deferred: list[CronNotPortable], day_field: str) -> set[int] | None:
    """The numbers the field lists, or None where that is not a fixed set (``*``, ``L``, ``nW``)."""
    if text.startswith("r") and _RANDOM.fullmatch(text):
        deferred.append(CronUnclear(f"{text!r} in the {spec.name} field picks a new random value at every parse"))
        return None
    if text == "?":
        if spec not in (_DAY, _WEEKDAY):
            raise ValueError(f"'?' is allowed only in the day-of-month and day-of-week fields, not the {spec.name}")
        return None
    items = text.split(",")
    if spec is _WEEKDAY and any("#" in item for item in items):
        _check_nth_weekdays(items, deferred, day_field)
        return None
    values: set[int] | None = set()
    for item in items:
        item_values = _item_values(item, spec, len(items), deferred)
        values = None if values is None or item_values is None else values | item_values
    return values


def _item_values(item: str, spec: _Field, items: int, deferred: list[CronNotPortable]) -> set[int] | None:
    if spec is _DAY and item == "l":
        return None
    if spec is _DAY and "w" in item:
        return _nearest_weekday(item, items, deferred)
    if spec is _WEEKDAY and item.startswith("l") and _DIGITS.fullmatch(item[1:]):
        _WEEKDAY.number(item[1:])
        deferred.append(CronNotPortable(f"{item!r} (last weekday of the month) is croniter's own syntax"))
        return None
    base, slash, step = item.partition("/")
    if slash and not (_DIGITS.fullmatch(step) and int(step) > 0):
        raise ValueError(f"invalid step {step!r} in the {spec.name} field")
    if base == "*":
        return None if not slash or int(step) == 1 else set(range(spec.low, spec.high + 1, int(step)))
    low_text, dash, high_text = base.partition("-")
    if not dash:
        low = spec.number(low_text)
        return {low} if not slash else set(range(low, spec.high + 1, int(step)))
    if spec is _DAY and high_text == "l":
        high_text = "31"
    low, high = spec.number(low_text), spec.number(high_text, below_low=True)
    if low >= high:
        kind = "is one value, which croniter reads as the whole field" if low == high else "runs backwards"
        deferred.append(CronNotPortable(f"range {base!r} in the {spec.name} field {kind}"))
        return None
    return set(range(low, high + 1, int(step) if slash else 1))


def _nearest_weekday(item: str, items: int, deferred: list[CronNotPortable]) -> set[int]:
    if re.fullmatch(r"w[0-9]+", item):
        deferred.append(CronNotPortable(f"{item!r} is croniter's own spelling; cron writes the day first, e.g. 15W"))
    elif not re.fullmatch(r"[0-9]+w", item):
        raise ValueError(f"{item!r} is not a valid day of month (nearest weekday is written like 15W)")
    if items > 1:
        raise ValueError(f"{item!r}: W (nearest weekday) must be the only value of the day-of-month field")
    return {_DAY.number(item.strip("w"))}


def _check_nth_weekdays(items: list[str], deferred: list[CronNotPortable], day_field: str) -> None:
    """``fri#2`` (the 2nd Friday) items. croniter mixes them with plain weekdays only when those
    add no day of their own (then it drops them) or cover the whole week (then it never fires
    if the day of month is set): all refused, the last on purpose."""
    nth_days: set[int] = set()
    plain: set[int] | None = set()
    for item in items:
        if "#" not in item:
            values = _item_values(item, _WEEKDAY, len(items), deferred)
            plain = None if plain is None or values is None else plain | values
            continue
        day, _, nth = item.partition("#")
        if "-" in day and all(part in _DAY_NAMES for part in day.split("-")):
            deferred.append(CronNotPortable(f"{item!r}: a range before '#' is croniter's own syntax; list the days"))
            low, high = (_WEEKDAY.number(part) for part in day.split("-"))
            nth_days |= set(range(low, high + 1)) if low <= high else set(range(low, 7)) | set(range(high + 1))
        else:
            nth_days.add(_WEEKDAY.number(day) % 7)
        if not (_DIGITS.fullmatch(nth) and 1 <= int(nth) <= 5):
            raise ValueError(f"{item!r}: the n of d#n must be 1 to 5 (the n-th such weekday of the month)")
    if plain is None or not any("#" not in item for item in items):
        return
    days, text = {day % 7 for day in plain}, ",".join(items)
    if days <= nth_days:
        deferred.append(CronNotPortable(f"{text!r}: croniter ignores plain weekdays that are also d#n days"))
    elif len(days | nth_days) < 7:
        raise ValueError(f"{text!r}: the day-of-week field cannot mix d#n items with other weekdays")
    elif day_field in ("*", "?"):
        deferred.append(CronNotPortable(f"{text!r}: d#n items next to the whole week mean every day; write *"))
    else:
        raise ValueError(f"{text!r} next to a day of month never fires in croniter; write * as the day of week")


def _check_day_fields(fields: list[str], deferred: list[CronNotPortable]) -> None:
    """Standard cron runs on the day of month OR the weekday; croniter, when either uses W, L or #,
    only on days that match both: often never."""
    day, weekday = fields[2], fields[4]
    if day in ("*", "?") or weekday in ("*", "?"):
        return
    if "w" in day or "#" in weekday or re.search(r"(^|,)l[0-9]", weekday):
        deferred.append(CronUnclear(f"croniter runs {day!r} AND {weekday!r} (standard cron: either); set only one"))


def _check_fires(fields: list[str], days: set[int] | None, months: set[int] | None) -> None:
    """A day of month no listed month has (31 in April) never fires: the scheduler would fail."""
    if fields[4] not in ("*", "?") or days is None or months is None:
        return  # with day-of-week restricted too, cron fires on either
    if min(days) > max(_DAYS_IN_MONTH[m - 1] for m in months):
        raise ValueError(f"cron expression {' '.join(fields)!r} never fires: no listed month has those days")


# croniter's own names for schedules (any case); Airflow hands it every "@..." string it does not know.
_CRONITER_ALIASES = {
    "@midnight": "@daily",
    "@hourly": "@hourly",
    "@daily": "@daily",
    "@weekly": "@weekly",
    "@monthly": "@monthly",
    "@yearly": "@yearly",
    "@annually": "@yearly",
}


def preset_alias(text: str) -> str | None:
    """The preset croniter reads ``text`` as (``@MIDNIGHT`` -> ``@daily``), or None."""
    return _CRONITER_ALIASES.get(text.lower())
