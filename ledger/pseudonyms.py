"""Personal data: the keyed pseudonym that stands for a partner's case reference everywhere in the ledger,
and how long a record about a person is kept.

HMAC-SHA256 with the server-held LEDGER_PSEUDONYM_KEY: the same case always gives the same pseudonym, and
without the key nobody can go from a pseudonym back to the case (or test guesses against it). Every record
about a person carries a retention date; `ledger returnees erase` then drops its pseudonym (the link to the
case) and keeps the money.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from typing import AnyStr

from flask import current_app

DEFAULT_RETENTION_YEARS = 10


def pseudonym(case_ref: str) -> str:
    key = current_app.config["LEDGER_PSEUDONYM_KEY"].encode()
    return hmac.new(key, case_ref.strip().encode(), hashlib.sha256).hexdigest()


def retention_years() -> int:
    return int(current_app.config.get("LEDGER_RETENTION_YEARS", DEFAULT_RETENTION_YEARS))


def retain_until(start: date, years: int | None = None) -> date:
    """The day a record started on `start` may be kept until (`years` later; 28 February for 29 February)."""
    years = retention_years() if years is None else years
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


#: A pseudonym as it stands in a stored text or document: 64 hex digits on their own.
_HEX64 = r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])"
_PSEUDONYMS = {str: re.compile(_HEX64), bytes: re.compile(_HEX64.encode())}


def redact(content: AnyStr, erased: set[str]) -> AnyStr:
    """`content` with every pseudonym of `erased` replaced by `erased` (everything else as it was), for what
    erasure finds in stored documents and answers."""
    mark = "erased" if isinstance(content, str) else b"erased"

    def swap(found: re.Match) -> AnyStr:
        text = found.group()
        name = text if isinstance(text, str) else text.decode()
        return mark if name.lower() in erased else text

    return _PSEUDONYMS[type(content)].sub(swap, content)
