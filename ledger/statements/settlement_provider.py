"""What statements add to the settlement statement's open items: transfers no match explains yet."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from ledger.agreements.rules.obligations import period_bounds
from ledger.money import Money
from ledger.statements.models import Transfer


def unreconciled_open_items(session: Session, period: str, party: str | None,
                            agreement_ids: list[int] | None) -> dict:
    """Transfers unmatched at the period's end (`ledger.reconciliation.queries.unmatched_transfers`, the one
    definition every page counts by; for one agreement: those between its payer's and payee's accounts)."""
    from ledger.agreements.queries import payers_and_payees
    from ledger.reconciliation.queries import unmatched_transfers

    _, last = period_bounds(period)
    query = unmatched_transfers(as_of=last)
    if party is not None:
        query = query.where(or_(Transfer.party_code == party, Transfer.counterparty_party == party))
    if agreement_ids is not None:
        pairs = payers_and_payees(session, agreement_ids)
        if not pairs:
            return {"unreconciled_transfers": []}
        query = query.where(or_(*(
            or_(and_(Transfer.party_code == p, Transfer.counterparty_party == h),
                and_(Transfer.party_code == h, Transfer.counterparty_party == p)) for p, h in pairs)))
    items = [{"transfer": t.id, "party": t.party_code, "counterparty": t.counterparty_party,
              "direction": t.direction, "booking_date": t.booking_date.isoformat() if t.booking_date else None,
              "currency": t.currency, "amount": str(Money.rounded(t.amount, t.currency)),
              "unallocated": str(Money.rounded(t.amount - t.allocated, t.currency))}
             for t in session.execute(query.order_by(Transfer.booking_date, Transfer.id)).scalars()]
    return {"unreconciled_transfers": items}
