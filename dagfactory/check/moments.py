"""Time zones and local times, checked the way the DAG file's ``pendulum.datetime(..., tz=...)`` reads them.

pendulum takes any name the IANA database on the machine has, plus ``utc`` in any case and
``local``. Some of those are refused on purpose (the ``deliberate`` flag): they name the machine's
own zone or a file of the database rather than a zone, so the DAG would mean different times
on different workers. A local time is refused when it does not exist in its zone (pendulum
would silently move it, e.g. 02:30 to 03:30 on a spring-forward day) or lies outside the years
1900-9998 (near year 1 or 9999 Airflow's schedules step off the calendar).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta, timezone, tzinfo

# Names pendulum loads that are not zones: the machine's zone, the database's default-rule
# file, and the "no zone configured" placeholder.
_NOT_ZONES = {
    "local": "the zone of whichever machine runs the DAG",
    "localtime": "the zone of whichever machine runs the DAG",
    "posixrules": "a file of the time zone database, not a zone",
    "Factory": "the database's placeholder for an unconfigured zone",
}


def timezone_problem(name: str) -> tuple[str, bool] | None:
    """(message, deliberate) when ``name`` is no usable zone; deliberate: pendulum would take it."""
    if name.lower() == "utc":
        return None  # pendulum reads any case of "utc" as UTC
    if name in _NOT_ZONES:
        return f"{name!r} is not a time zone: it is {_NOT_ZONES[name]}", True
    if _zone(name) is None:
        return f"unknown time zone {name!r}", False
    if name.startswith("right/"):
        return f"{name!r} counts leap seconds: its times are off by about half a minute", True
    return None


def _zone(name: str) -> tzinfo | None:
    if name.lower() == "utc":
        return timezone.utc
    if name.startswith(("/", ".")) or ".." in name or "\x00" in name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


# Dates dagfactory accepts, on purpose: at the calendar's edges Airflow's schedules step past
# year 1 or 9999 (an OverflowError when the DAG loads or schedules).
EARLIEST_YEAR, LATEST_YEAR = 1900, 9998


def local_time_problem(moment: datetime, zone_name: str) -> str | None:
    """Why ``moment`` (a local time in the zone) cannot be that instant in Airflow, or None."""
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return f"{moment.isoformat()} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR} that dagfactory accepts"
    zone = _zone(zone_name)
    if zone is None:
        return None  # reported at `timezone:`
    try:
        utc = moment.replace(tzinfo=zone).astimezone(timezone.utc)
        back = utc.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return f"{moment.isoformat()} in {zone_name} is outside the dates Python can hold once converted to UTC"
    if back != moment:
        return (
            f"{moment.isoformat()} does not exist in {zone_name} (the clocks skip it); "
            f"Airflow would silently use {back.isoformat()}"
        )
    return None


def latest_utc(moment: datetime, zone_name: str, delta: timedelta) -> str | None:
    """Why the first two runs every ``delta`` from ``moment`` end past the last datetime, or None.

    The scheduler computes them as soon as the DAG is parsed and its first run created; the
    second ends at start + 2 x delta on Airflow 2 (data intervals), start + delta on Airflow 3."""
    zone = _zone(zone_name) or timezone.utc
    try:
        moment.replace(tzinfo=zone).astimezone(timezone.utc) + 2 * delta
    except OverflowError:
        return f"runs every {delta} from {moment.isoformat()} reach past the year 9999 by the second run"
    return None
