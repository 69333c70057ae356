"""One clock for the service, so tests can reason about it and every timestamp is UTC with an offset.

Nothing else in `ledger/` reads the system's date or time. The clock is the system's UTC time, moved by
`LEDGER_CLOCK_OFFSET_DAYS` whole days (read on every call, so the app, the CLI, the demo and the tests all
see the same "today"). The tests also set `LEDGER_CLOCK_SHIFT_SECONDS`, so that their clock, and that of every
process they start, begins at one fixed instant and ticks on from there; a unit test may stop the clock with
`freeze`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OFFSET_VARIABLE = "LEDGER_CLOCK_OFFSET_DAYS"
SHIFT_VARIABLE = "LEDGER_CLOCK_SHIFT_SECONDS"  # the tests' fixed start, inherited by the processes they start
#: Whose calendar says what "today" is, unless LEDGER_TIME_ZONE says otherwise: the member states' and the
#: Council's working day, on which facts (transfers, decisions, payments) are dated.
DEFAULT_TIME_ZONE = "Europe/Brussels"


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def _number(variable: str, kind, unit: str):
    """The variable's value as `kind` (0 when unset); a malformed value is a configuration error, not zero."""
    raw = os.environ.get(variable, "").strip()
    try:
        return kind(raw) if raw else kind(0)
    except ValueError:
        raise ValueError(f"{variable} must be a number of {unit}, not {raw!r}") from None


def offset_days() -> int:
    """The whole days added to the source's time."""
    return _number(OFFSET_VARIABLE, int, "whole days")


def shift_seconds() -> float:
    return _number(SHIFT_VARIABLE, float, "seconds")


def utcnow() -> datetime:
    now = _source() + timedelta(days=offset_days(), seconds=shift_seconds())
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # milliseconds, as every stored stamp


def today() -> date:
    return utcnow().astimezone(time_zone()).date()


def time_zone() -> ZoneInfo:
    """The configured zone (LEDGER_TIME_ZONE, the app's config first): a fact dated after its today is refused."""
    from flask import current_app, has_app_context

    name = current_app.config.get("LEDGER_TIME_ZONE") if has_app_context() else None
    return zone_named(name or os.environ.get("LEDGER_TIME_ZONE") or DEFAULT_TIME_ZONE)


@lru_cache(maxsize=8)
def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` (ValueError naming it when unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (such as Europe/Brussels or UTC)") from None


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def freeze(instant: datetime, *, tick: bool = True) -> None:
    """Make the clock start at `instant` (before the offset). With `tick` it runs on from there at the
    system's pace, so durations stay real; without, it stands still."""
    if instant.tzinfo is None:
        raise ValueError("freeze needs an aware datetime")
    started = time.monotonic()
    global _source
    _source = (lambda: instant + timedelta(seconds=time.monotonic() - started)) if tick else (lambda: instant)


def unfreeze() -> None:
    global _source
    _source = _system_now


def shift_to(instant: datetime) -> float:
    """The seconds that take the system's clock to `instant` now: the value of LEDGER_CLOCK_SHIFT_SECONDS that
    makes a clock, in this process and in every child given the same environment, start at `instant`."""
    return (instant - _system_now()).total_seconds()
