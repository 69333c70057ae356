"""What the pages may read of the audit log (the audit feature's door for reads)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.audit.models import AuditRecord


def last_record(session: Session, object_type: str, object_id: str, action: str | None = None) -> AuditRecord | None:
    """The latest audit record about an object (of `action` when given)."""
    query = select(AuditRecord).where(AuditRecord.object_type == object_type, AuditRecord.object_id == object_id)
    if action is not None:
        query = query.where(AuditRecord.action == action)
    return session.execute(query.order_by(AuditRecord.seq.desc()).limit(1)).scalar()
