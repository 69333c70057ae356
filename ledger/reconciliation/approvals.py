"""A write-off above the officer's limit waits for a second officer (`ledger.approvals`): the request holds the
whole match (transfer, allocations, account, reason and the amount written off), and approving it posts that
match as the requester would have, or refuses it if the transfer or the invoices changed meanwhile."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from ledger.approvals import service as approvals
from ledger.auth import Principal
from ledger.invoices import queries as invoices
from ledger.money import quantize
from ledger.reconciliation import writeoffs
from ledger.reconciliation.review import WriteOff, manual
from ledger.reconciliation.writeoffs import ACCOUNTS

KIND = "reconciliation_write_off"


def request(session: Session, principal: Principal, transfer_id: int, allocations: list[dict], account: str,
            reason: str, amount: Decimal, currency: str):
    payload = {"transfer": transfer_id, "allocations": [{"invoice": a["invoice"], "amount": str(a["amount"])}
                                                        for a in allocations],
               "account": account, "reason": reason, "write_off": str(amount)}
    invoices = ", ".join(str(a["invoice"]) for a in allocations)
    summary = (f"Match transfer {transfer_id} to invoice {invoices} and write off {amount:,} {currency} to "
               f"{ACCOUNTS[account]}: {reason}")
    return approvals.request(session, kind=KIND, subject=f"transfer:{transfer_id}", summary=summary, payload=payload,
                             principal=principal, amount=amount, currency=currency)


def ask(session: Session, principal: Principal, transfer, allocations: list[dict],
        write_off: WriteOff) -> tuple:
    """Above the officer's limit: nothing is posted; the whole match waits for a second officer. Returns the
    request and the amount it would write off (planned as posting the match plans it)."""
    found = invoices.by_ids(session, [a["invoice"] for a in allocations if "invoice" in a])
    rows = [(found.get(a["invoice"]), a["amount"]) for a in allocations if "invoice" in a]
    cur = transfer.currency
    planned = writeoffs.plan([writeoffs.Pick(inv.id, quantize(inv.amount_open, cur), amount) for inv, amount in rows],
                             quantize(transfer.amount - transfer.allocated, cur))
    approval = request(session, principal, transfer.id, allocations, write_off.account, write_off.reason,
                       planned.written_off, cur)
    return approval, planned.written_off


def approve(session: Session, payload: dict, approval) -> None:
    """Post the match the request describes, with the write-off exactly as asked (no limit: it is approved)."""
    allocations = [{"invoice": a["invoice"], "amount": Decimal(a["amount"])} for a in payload["allocations"]]
    write_off = WriteOff(account=payload["account"], reason=payload["reason"], limit=None,
                         seen=Decimal(payload["write_off"]), approval=approval.id)
    manual(session, payload["transfer"], allocations, approval.requested_by_name, write_off)
