"""The keyed pseudonym that stands for a partner's case reference everywhere in the ledger.

HMAC-SHA256 with the server-held LEDGER_PSEUDONYM_KEY: the same case always gives the same pseudonym, and
without the key nobody can go from a pseudonym back to the case (or test guesses against it).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def pseudonym(case_ref: str) -> str:
    key = current_app.config["LEDGER_PSEUDONYM_KEY"].encode()
    return hmac.new(key, case_ref.strip().encode(), hashlib.sha256).hexdigest()
