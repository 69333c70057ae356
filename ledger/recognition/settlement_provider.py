"""What EU mutual recognition adds to a period's settlement statement: overdue and late claims, claims in transit
(ordered by a released payment batch, not yet debited by the bank) and netting."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contracts.recognition import NettingSchema
from ledger.auth import Principal
from ledger.money import Money
from ledger.recognition import service
from ledger.recognition.models import CostClaim
from ledger.recognition.rules.netting import period_end


def _plain(value):
    """JSON-ready values for a signed statement: amounts and dates as strings, nothing else."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (Money, Decimal)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def eu_sections(session: Session, period: str, party: str | None) -> dict:
    end = period_end(period)
    viewer = Principal("settlement", "settlement", "partner" if party else "auditor", party)
    late = select(CostClaim.id, CostClaim.issuing_state, CostClaim.enforcing_state, CostClaim.submitted_on).where(
        CostClaim.late.is_(True), CostClaim.submitted_on >= date(end.year, end.month, 1),
        CostClaim.submitted_on <= end)
    in_transit = select(CostClaim.id, CostClaim.issuing_state, CostClaim.enforcing_state, CostClaim.currency,
                        CostClaim.payable, CostClaim.ordered_on).where(
        CostClaim.ordered_on <= end, or_(CostClaim.paid_on.is_(None), CostClaim.paid_on > end),
        CostClaim.status.in_(("in_transit", "paid")))
    if party:
        either = or_(CostClaim.issuing_state == party, CostClaim.enforcing_state == party)
        late, in_transit = late.where(either), in_transit.where(either)
    return {"eu_claims": _plain({
        "overdue": [asdict(item) for item in service.overdue_items(session, end, party)],
        "late": [dict(row._mapping) for row in session.execute(late.order_by(CostClaim.id))],
        "in_transit": [{**row._mapping, "payable": Money(row.payable, row.currency)}
                       for row in session.execute(in_transit.order_by(CostClaim.id))],
    }), "netting": NettingSchema().dump(service.netting(session, viewer, period, None))}
