"""Checks shared by every feature on what callers tell the ledger happened.

A fact is dated when it happened: a transfer, an acceptance, a departure, a decision, an enforcement, a
claim's submission, a payment, an invoice's issue. None of them can be dated after today (the service's
clock, in the configured time zone: `ledger.timeutil.today`); a future date there is a typo or an attempt to
book money early (a decision dated next year would post into next year's period). Planned dates (instalment
due dates, effective dates, requested execution dates) are not facts and are not checked here.

Identifiers and references (invoice numbers, payment and decision references, names) are shown to officers
and partners and copied into statements: control characters and bidirectional-override characters in them
can make one reference display as another ("display spoofing", CVE-2021-42574 "Trojan Source"), so they are
refused.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from ledger.errors import Unprocessable, field_error
from ledger.timeutil import today

#: Unicode bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder
#: what is displayed without changing what is stored.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def check_not_future(day: date | None, field: str, on: date | None = None) -> None:
    """Refuse a fact dated after today (`422 future_date` naming `field`); None (not given) passes."""
    limit = on or today()
    if day is not None and day > limit:
        raise field_error(field, f"{day.isoformat()} is after today ({limit.isoformat()}): "
                                 "a fact cannot be dated in the future", "future_date")


def spoofing_problem(text: str | None) -> str | None:
    """Why `text` cannot be an identifier or reference (a control or bidi character, by code point), or None."""
    for char in text or "":
        if char in BIDI_CONTROLS:
            return f"must not contain the bidirectional control character U+{ord(char):04X}"
        if unicodedata.category(char) == "Cc":
            return f"must not contain the control character U+{ord(char):04X}"
    return None


def first_spoofed(values: dict[str, str | None]) -> Unprocessable | None:
    """The 422 for the first of `values` (field → text) that holds a control or bidi character, or None."""
    for field, text in values.items():
        problem = spoofing_problem(text)
        if problem is not None:
            return field_error(field, problem, "invalid_characters")
    return None
