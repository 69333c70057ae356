"""Second-officer approvals: a feature asks (`request`), another officer approves or rejects (`decide`).

A feature registers what approval does for its kind in `ledger.features.approval_handlers()`: a function
(session, payload, approval) run in the approving transaction, so the approved change and the decision commit
together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.approvals import rules
from ledger.approvals.models import Approval
from ledger.audit.service import describe
from ledger.auth import Principal
from ledger.db import fetch
from ledger.errors import Conflict, Forbidden, not_found
from ledger.timeutil import utcnow

Handler = Callable[[Session, dict, Approval], None]


def _handlers() -> dict[str, Handler]:
    from ledger.features import approval_handlers

    return approval_handlers()


def request(session: Session, *, kind: str, subject: str, summary: str, payload: dict, principal: Principal,
            amount: Decimal | None = None, currency: str | None = None) -> Approval:
    if kind not in _handlers():
        raise ValueError(f"no approval handler for {kind!r}")
    approval = Approval(kind=kind, subject=subject, summary=summary[:500], amount=amount, currency=currency,
                        payload=json.dumps(payload, sort_keys=True, default=str),
                        digest=rules.digest(kind, subject, payload),
                        requested_by=principal.key, requested_by_name=principal.name)
    session.add(approval)
    session.flush()
    describe(session, "approval.request", "approval", approval.id, f"{kind} {subject} digest {approval.digest}")
    return approval


def get(session: Session, approval_id: int) -> Approval:
    return fetch(session, Approval, approval_id, "approval")


def recently_decided(session: Session, limit: int) -> list[Approval]:
    """The last `limit` requests approved or rejected, the latest first."""
    return list(session.execute(listing_query().where(Approval.status != "pending")
                                .order_by(Approval.id.desc()).limit(limit)).scalars())


def listing_query(status: str | None = None, kind: str | None = None):
    query = select(Approval)
    if status:
        query = query.where(Approval.status == status)
    if kind:
        query = query.where(Approval.kind == kind)
    return query


def pending(session: Session, kind: str | None = None) -> list[Approval]:
    return list(session.execute(listing_query("pending", kind).order_by(Approval.id)).scalars())


def decide(session: Session, approval_id: int, *, approve: bool, principal: Principal,
           seen_digest: str | None = None, reason: str = "") -> Approval:
    """Approve (runs the kind's handler) or reject; the requester rejecting their own request withdraws it."""
    approval = session.execute(select(Approval).where(Approval.id == approval_id).with_for_update()).scalar()
    if approval is None:
        raise not_found("approval")
    refused = rules.refusal(status=approval.status, requested_by=approval.requested_by, decided_by=principal.key,
                            seen_digest=seen_digest, digest=approval.digest, approving=approve)
    if refused:
        code, detail = refused
        raise Forbidden(detail, code=code) if code == "same_officer" else Conflict(detail, code=code)
    if approve:
        _handlers()[approval.kind](session, json.loads(approval.payload), approval)
        approval.status = "approved"
    else:
        approval.status = "withdrawn" if principal.key == approval.requested_by else "rejected"
    approval.decided_by, approval.decided_by_name = principal.key, principal.name
    approval.decided_at, approval.reason = utcnow(), reason[:500]
    session.flush()
    describe(session, f"approval.{approval.status}", "approval", approval.id,
             f"{approval.kind} {approval.subject} digest {approval.digest}")
    return approval


def view(approval: Approval) -> dict:
    return {
        "id": approval.id, "kind": approval.kind, "subject": approval.subject, "summary": approval.summary,
        "amount": approval.amount, "currency": approval.currency, "payload": json.loads(approval.payload),
        "digest": approval.digest, "status": approval.status,
        "requested_by": approval.requested_by_name, "requested_at": approval.requested_at,
        "decided_by": approval.decided_by_name, "decided_at": approval.decided_at, "reason": approval.reason,
    }
