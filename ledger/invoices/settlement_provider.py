"""What invoices add to the settlement statement's open items: invoices overdue at the period's end."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.agreements.rules.obligations import period_bounds
from ledger.invoices.models import Invoice
from ledger.money import Money


def overdue_open_items(session: Session, period: str, party: str | None, agreement_ids: list[int] | None) -> dict:
    """Approved invoices due before the period's end with money still open."""
    _, last = period_bounds(period)
    query = select(Invoice).where(Invoice.status == "approved", Invoice.amount_open > 0, Invoice.due_on < last)
    if agreement_ids is not None:
        query = query.where(Invoice.agreement_id.in_(agreement_ids))
    if party is not None:
        query = query.where((Invoice.payer_code == party) | (Invoice.payee_code == party))
    items = [{"invoice": i.id, "agreement_id": i.agreement_id, "number": i.number, "payer": i.payer_code,
              "payee": i.payee_code, "due_on": i.due_on.isoformat(), "currency": i.currency,
              "open": str(Money.rounded(i.amount_open, i.currency)), "days_overdue": (last - i.due_on).days}
             for i in session.execute(query.order_by(Invoice.due_on, Invoice.id)).scalars()]
    return {"overdue_invoices": items}
