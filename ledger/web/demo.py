"""Demo people: one finance officer, one auditor, one admin, and a partner person for Rwanda (who sees only the
UK–Rwanda agreement's statements), each with a random password printed once."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from ledger.parties import queries as parties
from ledger.web import people

DEMO_PEOPLE = (("officer@demo.example", "finance_officer", None), ("auditor@demo.example", "auditor", None),
               ("admin@demo.example", "admin", None), ("rwanda@demo.example", "partner", "RW"))


def seed(session: Session) -> list[tuple[str, str]]:
    credentials = []
    for email, role, party in DEMO_PEOPLE:
        if party is not None and not parties.exists(session, party):
            continue  # a demo without that party's agreements has no partner person for it
        password = secrets.token_urlsafe(12)
        people.create(session, email, role, password, party)
        credentials.append((email, password))
    return credentials
