"""Row-level steps the review of every kind of match shares (invoices, EU claims, refunds): store a match, read its
allocations, lock a row before posting against it, move a transfer's allocated amount, record a decision (a
refusal, a reversal)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import for_update
from ledger.errors import Conflict
from ledger.journal import service as journal
from ledger.money import Money
from ledger.reconciliation.models import ReconciliationAllocation, ReconciliationMatch, evidence_json
from ledger.reconciliation.types import Allocation, MatchProposal
from ledger.statements import service as statements
from ledger.statements.models import Transfer
from ledger.timeutil import today, utcnow

#: The journal entries of reconciliation (matches, their reversals) name it as their source.
SOURCE_TYPE = "reconciliation"


def store_match(session: Session, proposal: MatchProposal, owner: str, counterparty: str, transfer_currency: str,
                run_id: int | None, actor: str, evidence: dict[str, str], *, item: str,
                status: str | None = None) -> ReconciliationMatch:
    """Store a credits-pass proposal: its items in their own currency, nothing written off; `item` is the column
    the allocations name them in (`claim_id` or `invoice_id`). A match stored as decided (auto, or `status`
    confirmed by hand) is decided by `actor`."""
    value = sum((allocation.amount.amount for allocation in proposal.allocations), Decimal(0))
    status = status or proposal.status
    now, decided = utcnow(), status != "proposed"
    row = ReconciliationMatch(
        run_id=run_id, transfer_id=proposal.transfer_id, payer_code=owner, payee_code=counterparty,
        method=proposal.rule, confidence=proposal.confidence, currency=proposal.residual.currency, value=value,
        residual=proposal.residual.amount, residual_account=None, transfer_amount=value,
        transfer_currency=transfer_currency,
        evidence=evidence_json({**proposal.evidence, "party": counterparty, "payer": owner, **evidence}),
        status=status, created_by=actor, created_at=now, decided_by=actor if decided else None,
        decided_at=now if decided else None)
    session.add(row)
    session.flush()
    session.add_all(ReconciliationAllocation(match_id=row.id, amount=allocation.amount.amount,
                                             written_off=Decimal(0), **{item: allocation.invoice_id})
                    for allocation in proposal.allocations)
    session.flush()
    return row


def allocations_of(session: Session, match_id: int) -> list[ReconciliationAllocation]:
    return list(session.execute(select(ReconciliationAllocation).where(ReconciliationAllocation.match_id == match_id)
                                .order_by(ReconciliationAllocation.id)).scalars())


def decide(session: Session, row: ReconciliationMatch, status: str, actor: str, **changes) -> ReconciliationMatch:
    """Record an officer's decision on a match (confirmed, rejected, reversed): who, when, a new version."""
    row.status, row.decided_by, row.decided_at = status, actor, utcnow()
    for name, value in changes.items():
        setattr(row, name, value)
    row.version += 1
    session.flush()
    return row


def refuse(session: Session, row: ReconciliationMatch, actor: str, reason: str | None, pairs: list,
           note: str) -> ReconciliationMatch:
    """Reject a proposal: its refused (transfer, item) `pairs` (rows of `RejectedPair` or `RejectedClaimPair`) are
    recorded unless they are already, so no run proposes them again; `note` is the audit note's text."""
    for pair in pairs:
        if session.get(type(pair), inspect(type(pair)).primary_key_from_instance(pair)) is None:
            session.add(pair)
    decide(session, row, "rejected", actor, reason=reason)
    describe(session, "reconciliation.reject", "reconciliation_match", row.id, note)
    return row


def reversal_entry(session: Session, row: ReconciliationMatch, transfer: Transfer, taken: Decimal,
                   reason: str) -> int:
    """The reversal of a posted match's entry, refused if the transfer (read locked) no longer has what the match
    took of it allocated."""
    if transfer.allocated < taken:
        raise Conflict(f"transfer {transfer.id} has less allocated than the match took", code="invalid_transition")
    return journal.reverse(session, row.journal_entry_id, today(), memo=f"reversal of match {row.id}: {reason}"[:500],
                           source_type=SOURCE_TYPE, source_id=str(row.id))


def reversed_match(session: Session, row: ReconciliationMatch, taken: Decimal, entry_id: int, actor: str,
                   reason: str, reopened: str | None = None) -> ReconciliationMatch:
    """After `reversal_entry` and the items opened again: the transfer given back what the match took, the
    decision recorded, the audit note (naming what is open again)."""
    add_allocated(session, row.transfer_id, -taken)
    decide(session, row, "reversed", actor, reversal_entry_id=entry_id, reason=reason)
    describe(session, "reconciliation.reverse", "reconciliation_match", row.id,
             f"entry {row.journal_entry_id} reversed by {entry_id}" + (f"; {reopened} open again" if reopened else ""))
    return row


def locked(session: Session, model, row_id: int):
    """The row, read afresh and locked FOR UPDATE on PostgreSQL (SQLite's writer lock covers it already)."""
    query = select(model).where(model.id == row_id).execution_options(populate_existing=True)
    return session.execute(for_update(session, query)).scalar_one()


def add_allocated(session: Session, transfer_id: int, amount: Decimal) -> None:
    """Allocate `amount` more of the transfer (negative: give it back), in SQL so concurrent changes add up."""
    statements.allocate_many(session, {transfer_id: amount})


def by_hand(transfer: Transfer, items: list[tuple[int, Decimal]]) -> MatchProposal:
    """An officer's match of a credit to its items (id, amount), as a proposal: stored with status confirmed (the
    engine's own statuses have no word for an officer's match)."""
    booked_on = transfer.booking_date or transfer.value_date
    return MatchProposal(
        transfer_id=transfer.id, rule="manual",
        allocations=tuple(Allocation(item_id, Money(amount, transfer.currency)) for item_id, amount in items),
        status="proposed", confidence=Decimal(1), residual=Money.zero(transfer.currency), residual_account=None,
        evidence={"reason": "matched by hand", "transfer_amount": f"{transfer.amount} {transfer.currency}",
                  "booked_on": str(booked_on)})


def reversed_pairs(session: Session, item: str = "invoice_id") -> set[tuple[int, int]]:
    """(transfer, item) pairs of reversed matches, `item` being `invoice_id` or `claim_id`: no run matches such a
    pair again (an officer reversing "paid the wrong invoice" would otherwise see the next run post it again);
    an officer can still match it by hand."""
    column = getattr(ReconciliationAllocation, item)
    rows = session.execute(
        select(ReconciliationMatch.transfer_id, column)
        .join(ReconciliationAllocation, ReconciliationAllocation.match_id == ReconciliationMatch.id)
        .where(ReconciliationMatch.status == "reversed", column.is_not(None)))
    return {(transfer, item_id) for transfer, item_id in rows}
