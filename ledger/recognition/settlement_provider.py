"""What EU mutual recognition adds to a period's settlement statement: overdue and late claims, netting."""

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
    if party:
        late = late.where(or_(CostClaim.issuing_state == party, CostClaim.enforcing_state == party))
    return {"eu_claims": _plain({
        "overdue": [asdict(item) for item in service.overdue_items(session, end, party)],
        "late": [dict(row._mapping) for row in session.execute(late.order_by(CostClaim.id))],
    }), "netting": NettingSchema().dump(service.netting(session, viewer, period, None))}
