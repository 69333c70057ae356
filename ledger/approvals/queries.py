"""What other features may read of the approval requests (the approvals' door for reads)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.approvals.models import Approval


def pending_payloads(session: Session, kind: str, subject: str) -> list[str]:
    """The payloads (JSON text) of the requests of `kind` about `subject` still waiting for a decision."""
    return list(session.execute(select(Approval.payload).where(
        Approval.kind == kind, Approval.subject == subject, Approval.status == "pending")).scalars())
