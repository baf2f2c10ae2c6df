"""Values Airflow or Python cannot hold are validate errors at their line, never a crash in compile.

Intervals of zero, durations past ``timedelta``'s range, integers past the 32-bit columns Airflow
stores them in, dates at the calendar's edges or in a DST gap, and the cron strings and time
zones Airflow's libraries read differently from what they say. (What real Airflow does with each
kind of value is proven in tests/airflow/test_agreement.py; these pin the messages and places.)
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagfactory.check.cron import CronNotPortable, check_cron
from dagfactory.check.spec import check_document
from dagfactory.diagnostics import Diagnostic
from dagfactory.emit import compile_specs
from dagfactory.load.config import Config
from dagfactory.load.discover import discover
from dagfactory.load.document import load_text
from dagfactory.values import parse_duration

from ..conftest import property_settings

HEAD = """\
description: d
owner: o
business_owner: {name: n}
"""
TAIL = """\
tasks:
  t:
    operator: empty
"""


def errors(body: str) -> list[Diagnostic]:
    """Errors of HEAD (3 lines) + body + TAIL; body's first line is line 4."""
    doc, problems = load_text(HEAD + body + TAIL, "s.yaml")
    assert doc is not None, problems
    return sorted(d for d in problems + check_document(doc) if d.is_error)


def where(body: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in errors(body)]


DAILY = "schedule: '@daily'\nstart_date: 2024-01-01\n"


@pytest.mark.parametrize("every", ["0s", "0", "0ms", "PT0S", "0.0000001s", "0d0h"])
def test_an_interval_of_zero_is_an_error_at_every(every: str):
    (diagnostic,) = errors(f"schedule:\n  every: {every}\nstart_date: 2024-01-01\n")
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("DF203", 5, 10)
    assert "longer than zero" in diagnostic.message


def test_a_negative_interval_is_an_error():
    assert where("schedule:\n  every: -5\nstart_date: 2024-01-01\n") == [("DF106", 5)]


@pytest.mark.parametrize(
    "value",
    ["999999999999d", "1000000000d", "86400000000001s", "P1000000000D", "99999999999999999999h", 10**20, "9" * 60],
)
@pytest.mark.parametrize("key", ["dagrun_timeout", "default_args:\n  retry_delay"])
def test_a_duration_past_timedelta_is_an_error_at_its_line(value: object, key: str):
    (diagnostic,) = errors(DAILY + f"{key}: {value}\n")
    assert diagnostic.code == "DF203"
    assert diagnostic.line == 6 + key.count("\n")
    assert "longer than a Python timedelta holds" in diagnostic.message


def test_the_longest_timedelta_is_accepted_and_renders():
    assert errors(DAILY + "dagrun_timeout: 999999999d\n") == []
    assert parse_duration("999999999d").to_timedelta().days == 999999999


@pytest.mark.parametrize("value", ["١٢s", "１２m", "P١D", "x" * 101])
def test_durations_are_ascii_digits_and_short(value: str):
    assert [code for code, _ in where(DAILY + f"dagrun_timeout: '{value}'\n")] in (["DF105"], ["DF203"])


def test_an_interval_whose_second_run_passes_year_9999_is_an_error():
    (diagnostic,) = errors("schedule:\n  every: 1000d\nstart_date: 9997-01-01\n")
    assert (diagnostic.code, diagnostic.line) == ("DF203", 5)
    assert "past the year 9999" in diagnostic.message
    assert errors("schedule:\n  every: 100d\nstart_date: 9997-01-01\n") == []


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        ("retries", 2**31, 7),
        ("priority_weight", -(2**31) - 1, 7),
        ("pool_slots", 2**31, 7),
    ],
)
def test_integers_past_32_bits_are_errors_at_their_line(key: str, value: int, line: int):
    body = DAILY + f"default_args:\n  {key}: {value}\n"
    (diagnostic,) = errors(body)
    assert (diagnostic.code, diagnostic.line) == ("DF106", line)
    assert diagnostic.hint == "Airflow stores this number in a 32-bit database column"
    edge = 2**31 - 1 if value > 0 else -(2**31)
    assert errors(DAILY + f"default_args:\n  {key}: {edge}\n") == []


@pytest.mark.parametrize("body", ["max_active_runs: 2147483648\n", "pools:\n  p: {slots: 2147483648}\n"])
def test_dag_level_counts_are_32_bit(body: str):
    assert [code for code, _ in where(DAILY + body)] == ["DF106"]


@pytest.mark.parametrize(
    ("start", "tz", "words"),
    [
        ("0001-01-01", "UTC", "outside the years 1900-9998"),
        ("9999-12-31", "UTC", "outside the years 1900-9998"),
        ("1899-12-31T23:00", "Asia/Tokyo", "outside the years 1900-9998"),
        ("2024-03-31T02:30", "Europe/Berlin", "Airflow would silently use 2024-03-31T03:30:00"),
        ("2024-03-10T02:00", "America/New_York", "does not exist in America/New_York"),
    ],
)
def test_dates_airflow_cannot_hold_or_would_move_are_errors(start: str, tz: str, words: str):
    (diagnostic,) = errors(f"schedule: '@daily'\nstart_date: {start}\ntimezone: {tz}\n")
    assert (diagnostic.code, diagnostic.line) == ("DF204", 5)
    assert words in diagnostic.message


def test_an_ambiguous_local_time_is_accepted_and_end_before_start_is_not():
    assert errors("schedule: '@daily'\nstart_date: 2024-10-27T02:30\ntimezone: Europe/Berlin\n") == []
    body = "schedule: '@daily'\nstart_date: 2024-10-27T03:00\nend_date: 2024-10-27T02:59\ntimezone: Europe/Berlin\n"
    assert where(body) == [("DF206", 6)]


@pytest.mark.parametrize(
    ("tz", "ok"),
    [("utc", True), ("Utc", True), ("localtime", False), ("local", False), ("Factory", False), ("right/UTC", False)],
)
def test_time_zones_pendulum_reads_other_than_they_say(tz: str, ok: bool):
    assert where(f"{DAILY}timezone: {tz}\n") == ([] if ok else [("DF202", 6)])


@pytest.mark.parametrize(
    ("schedule", "ok"),
    [
        ("0 0 ? * *", True),  # croniter reads ? as *: validate refused it before
        ("0 0 L * *", True),
        ("0 0 15W * *", True),
        ("0 0 * * fri#2", True),
        ("0 0 * * 5#1,1#1", True),
        ("0 0 31 2 *", False),  # never fires: the scheduler fails
        ("0 0 31 feb,apr *", False),
        ("0\u00a00 * * *", False),  # croniter splits on ASCII whitespace only
        ("0\x1c0 * * * *", False),
    ],
)
def test_cron_strings_as_croniter_reads_them(schedule: str, ok: bool):
    assert where(f"schedule: {schedule!r}\nstart_date: 2024-01-01\n".replace("'", '"')) == (
        [] if ok else [("DF201", 4)]
    )


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ("5-1 * * * *", "runs backwards"),
        ("0 0 15-0 * *", "runs backwards"),  # croniter checks only a range's top against the field
        ("0 0 * * 7-7", "croniter reads as the whole field"),
        ("0 0 * * * *", "the 6th as seconds"),
        ("R * * * *", "random"),
        ("0 0 W15 * *", "croniter's own spelling"),
        ("0 0 * * L5", "croniter's own syntax"),
    ],
)
def test_cron_strings_croniter_misreads_are_refused_on_purpose(schedule: str, words: str):
    with pytest.raises(CronNotPortable, match=words):
        check_cron(schedule)
    (diagnostic,) = errors(f'schedule: "{schedule}"\nstart_date: 2024-01-01\n')
    assert (diagnostic.code, diagnostic.line) == ("DF201", 4)
    assert "standard five fields" in (diagnostic.hint or "")


def test_preset_spellings_croniter_aliases_name_the_canonical_one():
    (diagnostic,) = errors("schedule: '@MIDNIGHT'\nstart_date: 2024-01-01\n")
    assert diagnostic.code == "DF201"
    assert "'@daily'" in diagnostic.message


def test_compile_reports_huge_durations_instead_of_crashing(tmp_path: Path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "big.yaml").write_text(HEAD + DAILY + "dagrun_timeout: 99999999999999999999d\n" + TAIL)
    (result,) = compile_specs(discover([specs], specs, tmp_path), Config())
    assert [(d.code, d.line) for d in result.diagnostics] == [("DF203", 6)]
    assert not result.text


@property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 300)
@given(st.one_of(st.text(alphabet="0123456789.PTDHMSdhms ١", max_size=40), st.integers(-(10**30), 10**30)))
def test_parse_duration_returns_a_timedelta_or_raises_value_error(value: object):
    try:
        duration = parse_duration(value)
    except ValueError:
        return
    assert duration.to_timedelta().total_seconds() >= 0


@property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 300)
@given(st.text(alphabet="0123456789*,-/?LWl#RHjanmonfri \t\n\u00a0", max_size=40))
def test_check_cron_raises_only_value_error(text: str):
    with contextlib.suppress(ValueError):
        check_cron(text)
