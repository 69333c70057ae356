"""A write-off above the officer's limit waits for a second officer (`ledger.approvals`): the request holds the
whole match (transfer, allocations, account, reason and the amount written off), and approving it posts that
match as the requester would have, or refuses it if the transfer or the invoices changed meanwhile."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from ledger.approvals import service as approvals
from ledger.approvals.models import Approval
from ledger.auth import Principal
from ledger.reconciliation import service
from ledger.reconciliation.writeoffs import ACCOUNTS

KIND = "reconciliation_write_off"


def request(session: Session, principal: Principal, transfer_id: int, allocations: list[dict], account: str,
            reason: str, amount: Decimal, currency: str) -> Approval:
    payload = {"transfer": transfer_id, "allocations": [{"invoice": a["invoice"], "amount": str(a["amount"])}
                                                        for a in allocations],
               "account": account, "reason": reason, "write_off": str(amount)}
    invoices = ", ".join(str(a["invoice"]) for a in allocations)
    summary = (f"Match transfer {transfer_id} to invoice {invoices} and write off {amount:,} {currency} to "
               f"{ACCOUNTS[account]}: {reason}")
    return approvals.request(session, kind=KIND, subject=f"transfer:{transfer_id}", summary=summary, payload=payload,
                             principal=principal, amount=amount, currency=currency)


def approve(session: Session, payload: dict, approval: Approval) -> None:
    """Post the match the request describes, with the write-off exactly as asked (no limit: it is approved)."""
    allocations = [{"invoice": a["invoice"], "amount": Decimal(a["amount"])} for a in payload["allocations"]]
    write_off = service.WriteOff(account=payload["account"], reason=payload["reason"], limit=None,
                                 seen=Decimal(payload["write_off"]), approval=approval.id)
    service.manual(session, payload["transfer"], allocations, approval.requested_by_name, write_off)
