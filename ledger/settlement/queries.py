"""What the pages may read of settlement's tables (settlement's door for reads): the signed statements, the
partners' reviews of their lines, and the checklist before closing a period."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.settlement.checklist import checklist
from ledger.settlement.models import FrozenStatement
from ledger.settlement.reviews import open_disputes, reviews, statement_lines

__all__ = ["checklist", "open_disputes", "reviews", "statement_lines", "latest_signed", "signed_counts"]


def latest_signed(session: Session, agreement_ids: set[int], limit: int) -> list[FrozenStatement]:
    """The signed statements of `agreement_ids`, latest period first, at most `limit`."""
    return list(session.execute(select(FrozenStatement).where(FrozenStatement.agreement_id.in_(agreement_ids))
                                .order_by(FrozenStatement.period.desc(), FrozenStatement.agreement_id)
                                .limit(limit)).scalars())


def signed_counts(session: Session, periods: list[str]) -> dict[str, int]:
    """How many statements were signed for each of `periods` (those with none are left out)."""
    return dict(session.execute(select(FrozenStatement.period, func.count(FrozenStatement.id))
                                .where(FrozenStatement.period.in_(periods)).group_by(FrozenStatement.period)).all())
