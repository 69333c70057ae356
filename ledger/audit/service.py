"""The audit log: every state-changing request or command appends what it did, in its own transaction.

Views and services describe their change with `describe()`; the commit point calls `flush_notes()`, so a
change can never commit without its audit record, and a failed one leaves none.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import integrity
from ledger.audit.models import AuditRecord
from ledger.timeutil import utcnow

CHAIN = "audit"


@dataclass
class Note:
    action: str
    object_type: str = ""
    object_id: str = ""
    summary: str = ""


def describe(action: str, object_type: str = "", object_id: object = "", summary: str = "") -> None:
    """Say what the current request or command changed (no personal data: ids and pseudonyms only)."""
    g.setdefault("audit_notes", []).append(Note(action, object_type, str(object_id), summary[:2000]))


def append(session: Session, principal: str, request_id: str, notes: list[Note]) -> None:
    head = integrity.lock_head(session, CHAIN)
    at = utcnow().isoformat()
    for note in notes:
        record = AuditRecord(
            seq=head.seq + 1, at=at, principal=principal, action=note.action, object_type=note.object_type,
            object_id=note.object_id, request_id=request_id, summary=note.summary, prev_hash=head.hash, hash="",
        )
        record.hash = integrity.link_hash(head.hash, record.content())
        session.add(record)
        head.seq, head.hash = record.seq, record.hash
    session.flush()
    integrity.advance_head(session, head)


def flush_notes(session: Session, principal: str, request_id: str, fallback_action: str) -> None:
    notes = g.pop("audit_notes", None) or [Note(fallback_action)]
    append(session, principal, request_id, notes)


def verify(session: Session) -> integrity.Break | None:
    rows = session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()
    records = ((r.seq, r.prev_hash, r.hash, r.content()) for r in rows)
    return integrity.verify_chain(records, integrity.read_head(session, CHAIN))
