"""One clock for the service, so tests can reason about it and every timestamp is UTC with an offset."""

from __future__ import annotations

from datetime import date, datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=(datetime.now(timezone.utc).microsecond // 1000) * 1000)


def today() -> date:
    return utcnow().date()


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
