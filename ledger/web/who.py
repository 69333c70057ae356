"""Who changed something last, and when, from the audit log: what a stale page or a second submit is told."""

from __future__ import annotations

from sqlalchemy.orm import Session


def person(session: Session, principal: str) -> str:
    """A person's email for their audit key (`user:7`); a token's key as it is."""
    from ledger.web.models import User

    if principal.startswith("user:") and principal[5:].isdigit():
        user = session.get(User, int(principal[5:]))
        if user is not None:
            return user.email
    return principal


def last_change(session: Session, object_type: str, object_id: str, action: str | None = None) -> str | None:
    """"officer@example changed it (amend) at 2026-12-06T12:00:00Z", or None when the log has nothing."""
    from ledger.audit.queries import last_record

    record = last_record(session, object_type, object_id, action)
    if record is None:
        return None
    return f"{person(session, record.principal)} ({record.action.split('.')[-1]}) at {record.at[:19]}Z"
