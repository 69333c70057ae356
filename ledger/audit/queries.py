"""What the pages may read of the audit log (the audit feature's door for reads): a record, and the log as its
table sorts and filters it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.audit.models import AuditRecord
from ledger.listing import Listing


def last_record(session: Session, object_type: str, object_id: str, action: str | None = None) -> AuditRecord | None:
    """The latest audit record about an object (of `action` when given)."""
    query = select(AuditRecord).where(AuditRecord.object_type == object_type, AuditRecord.object_id == object_id)
    if action is not None:
        query = query.where(AuditRecord.action == action)
    return session.execute(query.order_by(AuditRecord.seq.desc()).limit(1)).scalar()


LISTING = Listing(
    query=lambda: select(AuditRecord),
    orders={"seq": AuditRecord.seq, "action": AuditRecord.action, "object_type": AuditRecord.object_type,
            "principal": AuditRecord.principal},
    tiebreak=AuditRecord.seq,
    filters={"action": lambda q, v: q.where(AuditRecord.action == v),
             "object_type": lambda q, v: q.where(AuditRecord.object_type == v),
             "principal": lambda q, v: q.where(AuditRecord.principal == v)},
)
