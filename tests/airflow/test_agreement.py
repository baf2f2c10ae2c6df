"""validate agrees with real Airflow on schedules, time zones, dates and intervals, both ways.

Hypothesis generates the inputs (cron strings of 4-8 fields built from digits, names, ``*``,
``,``, ``-``, ``/``, ``L``, ``W``, ``#``, ``?``, ``R`` and every kind of whitespace; presets;
time-zone names; local dates at the edges of the calendar and of DST; intervals). All inputs of
a run go to ONE Airflow subprocess (agreement_probe.py), which builds, validates, serializes and
schedules a DAG with each. For every input the pair (validate, Airflow) must be one of:

* accepted, accepted;
* refused, refused;
* refused for a documented limit, whatever Airflow says: dates outside 1900-9998, intervals whose
  second run ends past the year 9999, and cron strings whose verdict in croniter depends on chance,
  today's date or the calendar (dagfactory.check.cron.CronUnclear: ``R``, a year field, a day of month
  together with a W, L or # day, which croniter ANDs);
* refused on purpose, accepted: the documented refusals (dagfactory.check.cron.CronNotPortable, preset
  spellings croniter aliases, the not-a-zone names of dagfactory.check.moments, DST-gap local times,
  end_date before start_date). Each must really be accepted by Airflow.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagfactory.check.cron import CronNotPortable, CronUnclear, check_cron, preset_alias
from dagfactory.check.moments import timezone_problem
from dagfactory.check.schema import SCHEDULE_PRESETS
from dagfactory.check.spec import check_document
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import load_text
from dagfactory.targets import AIRFLOW_2, AIRFLOW_3, Target
from tests.airflow.harness import airflow_env
from tests.airflow2.venv import ensure_venv
from tests.conftest import property_settings

pytestmark = pytest.mark.airflow

PROBE = Path(__file__).with_name("agreement_probe.py")
OK, REFUSED, ON_PURPOSE = "accepted", "refused", "refused on purpose"
LIMIT = "outside a documented limit"  # Airflow may take it or not: either way validate refuses

# --- generated inputs -----------------------------------------------------------------------

# Per field (minute, hour, day of month, month, day of week, croniter's second and year): its range,
# its names, and the special items it may take. Values just past the range are drawn on purpose.
_CRON_FIELDS = [
    (0, 59, [], []),
    (0, 23, [], []),
    (1, 31, [], ["L", "l", "15W", "1w", "31W", "0W", "32W", "W15", "LW", "1-L", "L-3", "L/2", "2-L/5", "31-L"]),
    (1, 12, ["jan", "FEB", "Mar", "dec", "Sep"], []),
    (0, 7, ["sun", "MON", "Fri", "sat", "thu"], ["5#2", "fri#5", "7#1", "0#3", "1#0", "1#6", "L5", "5L", "mon-wed#2"]),
    (0, 59, [], []),
    (1970, 2099, [], ["1969", "2100"]),
]
_WHOLE_FIELD = ["?", "R", "r", "R/5", "H", "r(0-5)"]
_GARBAGE = ["", "-5", "5-", "1-5-7", "foo", "*/0", "5/", "*5", "1.5", "x", "jan", "mon", "\u0665"]


def _atoms(field: tuple) -> st.SearchStrategy[str]:
    low, high, names, _ = field
    edges = st.sampled_from([low, high, high + 1, max(low - 1, 0)])
    numbers = st.one_of(st.integers(low, high), st.integers(low, high), st.integers(low, high), edges)
    spelled = st.one_of(numbers.map(str), numbers.map(str), numbers.map(lambda n: f"0{n}"))
    if not names:
        return spelled
    return st.one_of(spelled, spelled, st.sampled_from(names), st.sampled_from(names).map(str.upper))


def _items(field: tuple) -> st.SearchStrategy[str]:
    atom = _atoms(field)
    ranged = st.tuples(atom, atom).map("-".join)
    step = st.one_of(st.integers(1, field[1] - field[0] + 2), st.integers(1, 6), st.just(0)).map(str)
    stepped = st.tuples(st.one_of(st.just("*"), atom, ranged), step).map("/".join)
    usual = st.one_of(atom, atom, atom, ranged, st.just("*"), st.just("*"), stepped)
    return st.one_of(usual, usual, usual, usual, usual, st.sampled_from(field[3] or ["*"]), st.sampled_from(_GARBAGE))


def _field(field: tuple) -> st.SearchStrategy[str]:
    listed = st.one_of(_items(field), _items(field), st.lists(_items(field), min_size=1, max_size=3).map(",".join))
    return st.one_of(*[listed] * 9, st.sampled_from(_WHOLE_FIELD))


_SPACE = st.sampled_from([" "] * 30 + ["  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\u00a0", "\x1c", "\u3000"])


def _plausible_field(field: tuple) -> st.SearchStrategy[str]:
    """Mostly what a user writes: in-range values, ordered ranges, steps, the field's specials."""
    low, high, names, specials = field
    value = st.integers(low, high)
    spelled = value.map(lambda n: names[n - low] if names and n - low < len(names) and n % 3 == 0 else str(n))
    ranged = st.tuples(value, value).filter(lambda pair: pair[0] < pair[1]).map(lambda pair: f"{pair[0]}-{pair[1]}")
    stepped = st.tuples(st.sampled_from(["*", str(low)]) | ranged, st.integers(1, high - low)).map(
        lambda pair: f"{pair[0]}/{pair[1]}"
    )
    item = st.one_of(spelled, spelled, ranged, stepped, st.just("*"))
    listed = st.one_of(item, item, st.lists(item, min_size=2, max_size=3).map(",".join))
    return st.one_of(listed, listed, listed, st.sampled_from(specials or ["*"]))


# built once: building strategies is slow
_FIELD_TEXTS = [_field(field) for field in _CRON_FIELDS]
_PLAUSIBLE_TEXTS = [_plausible_field(field) for field in _CRON_FIELDS]


@st.composite
def cron_strings(draw: st.DrawFn) -> str:
    count = draw(st.sampled_from([5] * 20 + [4, 6, 7, 8]))
    noisy = draw(st.sampled_from([False, False, True]))
    fields = [draw((_FIELD_TEXTS if noisy else _PLAUSIBLE_TEXTS)[min(i, 6)]) for i in range(count)]
    text = fields[0] + "".join(draw(_SPACE) + f for f in fields[1:])
    return draw(st.sampled_from([""] * 6 + [" ", "\t"])) + text + draw(st.sampled_from([""] * 6 + [" ", "\n"]))


_PRESET_WORDS = ["once", "continuous", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"]
_PRESET_WORDS += ["midnight", "annually", "reboot", "every", "day", ""]
presets = st.builds(
    lambda word, case, tail: "@" + case(word) + tail,
    st.sampled_from(_PRESET_WORDS),
    st.sampled_from([str, str.upper, str.title]),
    st.sampled_from(["", "", " ", "s"]),
)

_ZONES = sorted(zoneinfo.available_timezones())
zone_names = st.one_of(
    st.sampled_from(_ZONES),
    st.sampled_from(_ZONES).map(str.lower),
    st.sampled_from(_ZONES).map(str.upper),
    st.sampled_from(["utc", "Utc", "UTC", "GMT", "gmt", "Etc/GMT+5", "Etc/GMT-14", "Etc/GMT+13", "US/Pacific"]),
    st.sampled_from(["localtime", "local", "posixrules", "Factory", "right/UTC", "posix/Europe/Berlin", "EST5EDT"]),
    st.sampled_from(["../etc/passwd", "/etc/localtime", "Europe/../UTC", "Europe/Berlin ", "", "Z", "+05:00"]),
    st.sampled_from(["zone.tab", "tzdata.zi", "leapseconds", "Europe", "Europe/", "Europe/Berlin/x"]),
)

_DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati", "Asia/Tokyo", "UTC"]
local_dates = st.tuples(
    st.one_of(st.sampled_from([1, 2, 1969, 1970, 9998, 9999]), st.integers(1, 9999), st.sampled_from([2024, 2026])),
    st.integers(1, 12),
    st.one_of(st.integers(1, 31), st.sampled_from([29, 30, 31])),
    st.one_of(st.integers(0, 23), st.sampled_from([1, 2, 3])),
    st.sampled_from([0, 0, 15, 30, 59]),
    st.sampled_from([*_DST_ZONES, "Etc/GMT-14", "Etc/GMT+12"]),
    st.one_of(st.none(), st.integers(-3, 3)),  # end_date this many days after start_date
)

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds"}
intervals = st.tuples(
    st.sampled_from(sorted(_UNITS)),
    st.one_of(
        st.integers(0, 100),
        st.sampled_from([999_999_999, 1_000_000_000, 86_399_999_999_999, 86_400_000_000_000, 10**15, 10**20]),
        st.integers(0, 10**21),
    ),
    st.sampled_from(["compact", "iso", "seconds"]),
    st.sampled_from([(2024, 1, 1), (9999, 12, 30), (9990, 1, 1), (1, 1, 1)]),
)


def interval_case(interval: tuple) -> tuple[dict[str, Any], dict[str, Any]]:
    """(probe case, validate_errors kwargs) of ``schedule: {every: ...}`` spelt one of the accepted ways."""
    unit, amount, spelling, start = interval
    if spelling == "iso" and unit != "ms":
        text: Any = f"P{amount}D" if unit == "d" else f"PT{amount}{unit.upper()}"
    elif spelling == "seconds" and unit == "s":
        text = amount
    else:
        text = f"{amount}{unit}"
    case = {"schedule": {"every": {_UNITS[unit]: amount}}, "start": list(start)}
    return case, {"schedule": {"every": text}, "start": "{:04d}-{:02d}-{:02d}".format(*start)}


def collect(strategy: st.SearchStrategy[Any], env_var: str, default: int) -> list[Any]:
    """The distinct values Hypothesis draws from ``strategy`` in one run (fixed seed)."""
    seen: list[Any] = []

    @property_settings(env_var, default)
    @given(strategy)
    def draw(value: Any) -> None:
        seen.append(value)

    draw()
    return list(dict.fromkeys(seen))


# --- the two sides --------------------------------------------------------------------------

SPEC = """\
description: d
owner: o
business_owner: {{name: n}}
max_active_runs: 1
tasks: {{t: {{operator: empty}}}}
schedule: {schedule}
start_date: {start}
timezone: {tz}
"""


def validate_errors(
    target: Target,
    schedule: Any = "@daily",
    start: str = "2024-01-01",
    tz: str = "UTC",
    end: str | None = None,
) -> list[Diagnostic]:
    text = SPEC.format(schedule=json.dumps(schedule), start=json.dumps(start), tz=json.dumps(tz))
    if end is not None:
        text += f"end_date: {json.dumps(end)}\n"
    doc, problems = load_text(text, "s.yaml")
    assert doc is not None, problems
    return [d for d in problems + check_document(doc, target) if d.is_error]


def airflow_verdicts(python: str, cases: list[dict[str, Any]], tmp_path: Path) -> list[str | None]:
    env = airflow_env(tmp_path / "airflow_home")
    proc = subprocess.run(
        [python, str(PROBE)], input=json.dumps(cases), capture_output=True, text=True, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    verdicts = json.loads(proc.stdout)
    assert len(verdicts) == len(cases)
    return verdicts


def cron_verdict(text: str) -> str:
    if text.startswith("@"):
        if text in SCHEDULE_PRESETS:
            return OK
        return ON_PURPOSE if preset_alias(text) else REFUSED
    try:
        check_cron(text)
    except CronUnclear:
        return LIMIT
    except CronNotPortable:
        return ON_PURPOSE
    except ValueError:
        return REFUSED
    return OK


def date_text(year: int, month: int, day: int, hour: int, minute: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"


def date_case(date: tuple) -> tuple[dict[str, Any], dict[str, Any]]:
    """(probe case, validate_errors kwargs) of a generated local date and optional end_date."""
    year, month, day, hour, minute, tz, end_days = date
    start = [year, month, day, hour, minute]
    case: dict[str, Any] = {"schedule": "@daily", "tz": tz, "start": start}
    kwargs: dict[str, Any] = {"start": date_text(*start), "tz": tz}
    if end_days is not None:
        end = [max(1, min(9999, year + end_days)), month, day, hour, minute]
        case["end"] = end
        kwargs["end"] = date_text(*end)
    return case, kwargs


def _on_purpose(diagnostic: Any) -> bool:
    """The date refusals Airflow would not make: end before start, a local time the clocks skip."""
    return diagnostic.code == "DF206" or "does not exist" in diagnostic.message


# --- the tests ------------------------------------------------------------------------------


def check_pairs(rows: list[tuple[Any, str, str | None]]) -> None:
    """rows: (input, validate verdict, Airflow error or None); fails listing every disagreement."""
    wrong = []
    for value, ours, theirs in rows:
        airflow = OK if theirs is None else REFUSED
        if ours != LIMIT and (ours, airflow) not in ((OK, OK), (REFUSED, REFUSED), (ON_PURPOSE, OK)):
            wrong.append(f"{value!r}: validate {ours}, Airflow {airflow} ({theirs})")
    assert wrong == [], f"{len(wrong)} of {len(rows)} disagree:\n" + "\n".join(wrong[:40])


def run_agreement(python: str, target: Target, tmp_path: Path) -> None:
    examples = "DAGFACTORY_HYPOTHESIS_EXAMPLES"
    crons = collect(cron_strings(), examples, 400) + collect(presets, examples, 100)
    zones = collect(zone_names, examples, 200)
    dates = collect(local_dates, examples, 300)
    cases = [{"schedule": c} for c in crons] + [{"schedule": "@daily", "tz": z} for z in zones]
    date_rows = [date_case(d) for d in dates] + [interval_case(i) for i in collect(intervals, examples, 200)]
    cases += [case for case, _ in date_rows]
    verdicts = airflow_verdicts(python, cases, tmp_path)
    cron_v, zone_v, date_v = verdicts[: len(crons)], verdicts[len(crons) : -len(date_rows)], verdicts[-len(date_rows) :]

    rows = []
    for text, theirs in zip(crons, cron_v, strict=True):
        ours = cron_verdict(text)
        assert (ours == OK) == (validate_errors(target, schedule=text) == []), text  # the spec path agrees
        rows.append((text, ours, theirs))
    check_pairs(rows)
    accepted = sum(theirs is None for theirs in cron_v)
    assert accepted > len(crons) // 4, f"only {accepted} of {len(crons)} cron strings were valid: a weak generator"

    rows = []
    for name, theirs in zip(zones, zone_v, strict=True):
        problem = timezone_problem(name)
        ours = OK if problem is None else ON_PURPOSE if problem[1] else REFUSED
        assert (ours == OK) == (validate_errors(target, tz=name) == []), name
        rows.append((name, ours, theirs))
    check_pairs(rows)

    rows = []
    for (_, kwargs), theirs in zip(date_rows, date_v, strict=True):
        errors = validate_errors(target, **kwargs)
        ours = OK if not errors else ON_PURPOSE if all(map(_on_purpose, errors)) else REFUSED
        if any("outside the years" in d.message or "past the year 9999" in d.message for d in errors):
            ours = LIMIT
        rows.append((kwargs, ours, theirs))
    check_pairs(rows)


def test_validate_agrees_with_airflow_3(tmp_path: Path):
    run_agreement(sys.executable, AIRFLOW_3, tmp_path)


def test_validate_agrees_with_airflow_2(tmp_path: Path):
    run_agreement(str(ensure_venv()), AIRFLOW_2, tmp_path)
