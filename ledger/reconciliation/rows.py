"""Row-level steps the credits pass shares (EU claims and refunds): lock a row before posting against it,
and move a transfer's allocated amount."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import literal, select, update
from sqlalchemy.orm import Session

from ledger.db import AMOUNT, is_postgres
from ledger.statements.models import Transfer


def locked(session: Session, model, row_id: int):
    """The row, read afresh and locked FOR UPDATE on PostgreSQL (SQLite's writer lock covers it already)."""
    query = select(model).where(model.id == row_id).execution_options(populate_existing=True)
    return session.execute(query.with_for_update() if is_postgres(session) else query).scalar_one()


def add_allocated(session: Session, transfer_id: int, amount: Decimal) -> None:
    """Allocate `amount` more of the transfer (negative: give it back), in SQL so concurrent changes add up."""
    table = Transfer.__table__
    session.execute(update(table).where(table.c.id == transfer_id)
                    .values(allocated=table.c.allocated + literal(amount, AMOUNT)))
