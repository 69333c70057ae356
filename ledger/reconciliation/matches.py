"""Reading matches and runs: one by id (locked for a decision), their allocations, the list query, the ETag."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db import fetch, for_update
from ledger.errors import not_found
from ledger.reconciliation.loading import chunks
from ledger.reconciliation.models import (
    ReconciliationAllocation,
    ReconciliationMatch,
    ReconciliationRun,
)


def get_run(session: Session, run_id: int) -> ReconciliationRun:
    return fetch(session, ReconciliationRun, run_id, "reconciliation run")


def get(session: Session, match_id: int, *, lock: bool = False) -> ReconciliationMatch:
    if lock:
        query = select(ReconciliationMatch).where(ReconciliationMatch.id == match_id) \
            .execution_options(populate_existing=True)
        row = session.execute(for_update(session, query)).scalar_one_or_none()
    else:
        row = session.get(ReconciliationMatch, match_id)
    if row is None:
        raise not_found("reconciliation match")
    return row


def allocations_of(session: Session, match_ids: Sequence[int]) -> dict[int, list[ReconciliationAllocation]]:
    out: dict[int, list[ReconciliationAllocation]] = defaultdict(list)
    for chunk in chunks(list(match_ids)):
        for row in session.execute(select(ReconciliationAllocation)
                                   .where(ReconciliationAllocation.match_id.in_(chunk))
                                   .order_by(ReconciliationAllocation.id)).scalars():
            out[row.match_id].append(row)
    return out


def etag(match_row: ReconciliationMatch) -> str:
    return f'"match-{match_row.id}-{match_row.version}"'


def list_query(status: str | None = None, party: str | None = None, transfer: int | None = None,
               invoice: int | None = None):
    query = select(ReconciliationMatch)
    if status:
        query = query.where(ReconciliationMatch.status == status)
    if party:
        query = query.where((ReconciliationMatch.payer_code == party) | (ReconciliationMatch.payee_code == party))
    if transfer is not None:
        query = query.where(ReconciliationMatch.transfer_id == transfer)
    if invoice is not None:
        query = query.where(ReconciliationMatch.id.in_(
            select(ReconciliationAllocation.match_id).where(ReconciliationAllocation.invoice_id == invoice)))
    return query
