"""Personal data: the keyed pseudonym that stands for a partner's case reference everywhere in the ledger,
and how long a record about a person is kept.

HMAC-SHA256 with the server-held LEDGER_PSEUDONYM_KEY: the same case always gives the same pseudonym, and
without the key nobody can go from a pseudonym back to the case (or test guesses against it). Every record
about a person carries a retention date; `ledger returnees erase` then drops its pseudonym (the link to the
case) and keeps the money.

The key and the retention come from the configuration the caller holds, as a `PersonalData` passed in (a view
builds it from the app's configuration, a script from its own): nothing here reads the app's globals.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import AnyStr

DEFAULT_RETENTION_YEARS = 10


@dataclass(frozen=True)
class PersonalData:
    """What recording a person needs from the configuration: the pseudonym key and how long records are kept."""

    pseudonym_key: str
    retention_years: int = DEFAULT_RETENTION_YEARS

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> PersonalData:
        """From LEDGER_PSEUDONYM_KEY and LEDGER_RETENTION_YEARS (default 10) of an app's or a script's settings."""
        return cls(str(config["LEDGER_PSEUDONYM_KEY"]),
                   int(config.get("LEDGER_RETENTION_YEARS", DEFAULT_RETENTION_YEARS)))  # type: ignore[call-overload]

    def pseudonym(self, case_ref: str) -> str:
        return pseudonym(case_ref, self.pseudonym_key)

    def retain_until(self, start: date) -> date:
        return retain_until(start, self.retention_years)


def pseudonym(case_ref: str, key: str) -> str:
    """The pseudonym of a case reference under `key` (LEDGER_PSEUDONYM_KEY)."""
    return hmac.new(key.encode(), case_ref.strip().encode(), hashlib.sha256).hexdigest()


def retain_until(start: date, years: int) -> date:
    """The day a record started on `start` may be kept until (`years` later; 28 February for 29 February)."""
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
