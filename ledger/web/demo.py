"""Demo people: one finance officer, one auditor, one admin, each with a random password printed once."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from ledger.web import people

DEMO_PEOPLE = (("officer@demo.example", "finance_officer"), ("auditor@demo.example", "auditor"),
               ("admin@demo.example", "admin"))


def seed(session: Session) -> list[tuple[str, str]]:
    credentials = []
    for email, role in DEMO_PEOPLE:
        password = secrets.token_urlsafe(12)
        people.create(session, email, role, password)
        credentials.append((email, password))
    return credentials
