"""The audit log: every state-changing request or command appends what it did, in its own transaction.

Views and services describe their change with `describe(session, ...)`: the note travels on the session
(`session.info`), not on Flask's request globals, so a service called from a script with nothing but a session
describes its change the same way. The commit point calls `flush_notes()`, so a change can never commit without
its audit record, and a failed one leaves none (rolling the session back forgets its notes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from ledger import integrity
from ledger.audit.models import AuditRecord
from ledger.timeutil import utcnow

CHAIN = "audit"
NOTES = "audit_notes"  # the key of the pending notes in `Session.info`


class Versioned(Protocol):
    version: int


@dataclass
class Note:
    action: str
    object_type: str = ""
    object_id: str = ""
    summary: str = ""


def describe(session: Session, action: str, object_type: str = "", object_id: object = "", summary: str = "") -> None:
    """Say what the session's unit of work changed (no personal data: ids and pseudonyms only)."""
    pending(session).append(Note(action, object_type, str(object_id), summary[:2000]))


def record_change(session: Session, row: Versioned, action: str, object_type: str, object_id: object,
                  summary: str | Callable[[], str] = "", also: Sequence[Versioned] = ()) -> None:
    """The write step of a change to a versioned row (and the rows `also` changed with it): bump each one's
    `version`, flush, and describe the change.

    A `summary` that reads what only the flush knows (the id of a row added in the same step) is given as a
    callable: it is asked after the flush, so the note says what was written.
    """
    for each in (row, *also):
        each.version += 1
    session.flush()
    describe(session, action, object_type, object_id, summary() if callable(summary) else summary)


def pending(session: Session) -> list[Note]:
    """The notes the session's unit of work has made so far (a savepoint that fails truncates them back)."""
    return session.info.setdefault(NOTES, [])


def forget_since(session: Session, mark: int) -> None:
    """Drop the notes made after `mark` (a `len(pending(session))` taken before a savepoint that failed)."""
    del pending(session)[mark:]


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    """A rolled-back unit of work did nothing, so it has nothing to record (a savepoint's own rollback leaves
    the notes to its caller, who knows which were its own: `forget_since`)."""
    if previous_transaction.parent is None:
        session.info.pop(NOTES, None)


def append(session: Session, principal: str, request_id: str, notes: list[Note]) -> None:
    """Append `notes` to the audit chain: rows written by one Core insert (an ORM object and a unit-of-work flush per
    record cost more than hashing it); `lock_head`'s select flushes the session's pending changes first."""
    head = integrity.lock_head(session, CHAIN)
    at = utcnow().isoformat()
    rows = []
    for note in notes:
        row = {"seq": head.seq + 1, "at": at, "principal": principal, "action": note.action,
               "object_type": note.object_type, "object_id": note.object_id, "request_id": request_id,
               "summary": note.summary}
        row["prev_hash"], row["hash"] = head.hash, integrity.link_hash(head.hash, AuditRecord.content_of(row))
        rows.append(row)
        head.seq, head.hash = row["seq"], row["hash"]
    session.execute(_INSERT, rows)
    integrity.advance_head(session, head)


_INSERT = insert(AuditRecord.__table__)


def flush_notes(session: Session, principal: str, request_id: str, fallback_action: str) -> None:
    notes = session.info.pop(NOTES, None) or [Note(fallback_action)]
    append(session, principal, request_id, notes)


def verify(session: Session) -> integrity.Break | None:
    rows = session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()
    records = ((r.seq, r.prev_hash, r.hash, r.content()) for r in rows)
    return integrity.verify_chain(records, integrity.read_head(session, CHAIN))
