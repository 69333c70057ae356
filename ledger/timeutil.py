"""One clock for the service, so tests can reason about it and every timestamp is UTC with an offset."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Whose calendar says what "today" is, unless LEDGER_TIME_ZONE says otherwise: the member states' and the
#: Council's working day, on which facts (transfers, decisions, payments) are dated.
DEFAULT_TIME_ZONE = "Europe/Brussels"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=(datetime.now(timezone.utc).microsecond // 1000) * 1000)


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
