"""Reconciliation runs and the review workflow, over the pure matching engine (`ledger.reconciliation.match`).

Statements are of the parties' own accounts. A debit on a payer's account to a host settles the invoices
that payer owes that host (approved, with money open); a credit (a refund, an EU compensation received)
settles only what is owed to the account's owner: EU cost claims, then the credit a host's credit note
left (a refund), both in the credits pass (`claims`, `refunds`); a credit never settles a payable invoice.
Transfers on an account not registered to a party, or to/from an account of no known party, wait.

The engine compares the counterparty as an opaque party key; the key used here is payer + payee
("GBRW"), so a payment from GB's account is only ever weighed against invoices GB owes, however many
other payers owe the same host the same amount.

A run loads what is open with a few column selects (locking the rows), and while the engine matches it
stores the matches and posts the auto ones (one entry each) in batches, in bulk, from a background writer
(`posting.RunPosting`). Every posting path locks the transfer and invoice rows (SELECT … FOR UPDATE on PostgreSQL;
SQLite's writer lock is taken at BEGIN) and checks, in the same transaction, that no transfer is allocated
beyond its amount and no invoice beyond what is open.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import hold_reconciliation_lock
from ledger.invoices.models import Invoice
from ledger.money import Money, quantize
from ledger.reconciliation import claims, parallel
from ledger.reconciliation.approvals import ask as ask_write_off_approval
from ledger.reconciliation.engine import collector_paused, match
from ledger.reconciliation.loading import OpenSet, load_open, refused_pairs
from ledger.reconciliation.matches import allocations_of, etag, get, get_run, list_query
from ledger.reconciliation.models import (
    ReconciliationAllocation,
    ReconciliationMatch,
    ReconciliationRun,
)
from ledger.reconciliation.posting import (
    RESIDUAL_ACCOUNTS,
    SOURCE_TYPE,
    Plan,
    Planner,
    RunPosting,
    plans_from,
    post,
)
from ledger.reconciliation.review import WriteOff, confirm, manual, reject, reverse
from ledger.reconciliation.summary import summarise
from ledger.reconciliation.types import (
    MatchSettings,
)
from ledger.timeutil import utcnow
from ledger.writes import BackgroundWrites

__all__ = [
    "RESIDUAL_ACCOUNTS", "SOURCE_TYPE", "OpenSet", "Plan", "WriteOff", "allocations_of", "ask_write_off_approval",
    "confirm", "etag", "get",
    "get_run", "list_query", "load_open", "manual", "plans_from", "post", "proposed_open_items", "refused_pairs",
    "reject", "reverse", "run", "view", "views", "add_match",
]


# ---- runs --------------------------------------------------------------------------------------------

def run(session: Session, actor: str, *, dry_run: bool = False, settings: MatchSettings | None = None,
        on_step: Callable[[str], None] | None = None) -> ReconciliationRun:
    """Match everything still open: store the matches, post the auto ones (nothing stored or posted on a dry run
    but the run's own record)."""
    step = on_step or (lambda _name: None)
    started = time.perf_counter()
    hold_reconciliation_lock(session)
    # Claims before the journal's head, the order every other path locks in.
    locked_claims = None if dry_run else claims.lock_ahead(session)
    with collector_paused():  # loading, matching and posting hold hundreds of thousands of acyclic objects
        # Evidence that needs no guessing first (a payment order's EndToEndId): what it matches is not open below.
        first = _first_passes(session, actor, dry_run)
        open_set = load_open(session, lock=not dry_run)
        step("loaded")
        record = ReconciliationRun(dry_run=dry_run, actor=actor, transfers_considered=len(open_set.transfers),
                                   invoices_considered=len(open_set.invoices))
        session.add(record)
        session.flush()
        if dry_run:
            summary = summarise(open_set.invoices, open_set.transfers,
                                match(open_set.invoices, open_set.transfers, open_set.rejected, settings,
                                      held=open_set.held, duplicates=open_set.duplicates))
            step("matched")
        else:
            # The engine runs in a process of its own when the run is large (started first: it forks) and plans its
            # matches there; the database stores them while it finds more, and this thread posts them in between.
            with parallel.Matching(open_set.invoices, open_set.transfers, open_set.rejected, settings,
                                   prepare=Planner(open_set), held=open_set.held,
                                   duplicates=open_set.duplicates) as matching, BackgroundWrites(session) as writes:
                posting = RunPosting(session, open_set, record.id, actor, writes)
                summary = matching.results(on_batch=posting.add)
                step("matched")
                posting.close()
                step("posted")
        step("stored")
        record.auto_matched, record.proposed = summary.auto_matched + len(first), summary.proposed
        record.unmatched_transfers, record.open_invoices = summary.unmatched_transfers, summary.open_invoices
        per_rule = dict(summary.per_rule)
        if first:
            per_rule["end_to_end_id/auto"] = len(first)
            for made in first:
                if not dry_run:
                    made.run_id = record.id
        record.per_rule = json.dumps(per_rule)
        session.flush()
        claims.run_pass(session, record, actor, dry_run=dry_run, settings=settings,  # credits → EU cost claims
                        locked=locked_claims)
        step("claims")
    record.finished_at = utcnow()
    record.duration_ms = int((time.perf_counter() - started) * 1000)
    session.flush()
    describe(session, "reconciliation.run", "reconciliation_run", record.id,
             f"{'dry run: ' if dry_run else ''}{record.auto_matched} auto, {record.proposed} proposed, "
             f"{record.unmatched_transfers} transfers unmatched")
    return record


def _first_passes(session: Session, actor: str, dry_run: bool) -> list:
    """The matches of `ledger.features.reconciliation_passes` (stored and posted unless `dry_run`)."""
    from ledger.features import reconciliation_passes

    return [made for step in reconciliation_passes() for made in step(session, actor, dry_run)]


# ---- reading matches ---------------------------------------------------------------------------------

def _money(value: Decimal, currency: str) -> Money:
    return Money(quantize(value, currency), currency)


def view(match_row: ReconciliationMatch, allocations: list[ReconciliationAllocation]) -> dict:
    cur = match_row.currency
    return {
        "id": match_row.id, "run": match_row.run_id, "transfer": match_row.transfer_id,
        "payer": match_row.payer_code, "payee": match_row.payee_code, "currency": cur,
        "allocations": [{"invoice": a.invoice_id, "claim": a.claim_id, "amount": _money(a.amount, cur),
                         "written_off": _money(a.written_off, cur)} for a in allocations],
        "method": match_row.method, "confidence": format(Decimal(match_row.confidence).normalize(), "f"),
        "value": _money(match_row.value, cur), "residual": _money(match_row.residual, cur),
        "residual_account": match_row.residual_account,
        "transfer_amount": _money(match_row.transfer_amount, match_row.transfer_currency),
        "transfer_currency": match_row.transfer_currency,
        "fx_rate": format(Decimal(match_row.fx_rate).normalize(), "f") if match_row.fx_rate is not None else None,
        "evidence": json.loads(match_row.evidence), "status": match_row.status,
        "created_by": match_row.created_by, "created_at": match_row.created_at,
        "decided_by": match_row.decided_by, "decided_at": match_row.decided_at, "reason": match_row.reason,
        "journal_entry": match_row.journal_entry_id, "reversal_entry": match_row.reversal_entry_id,
    }


def views(session: Session, rows: list[ReconciliationMatch]) -> list[dict]:
    allocations = allocations_of(session, [r.id for r in rows])
    return [view(r, allocations.get(r.id, [])) for r in rows]


# ---- open items for settlement statements -------------------------------------------------------------

def proposed_open_items(session: Session, period: str, party: str | None, agreement_ids: list[int] | None) -> dict:
    """Proposed matches waiting for review (settlement statement open items)."""
    query = list_query("proposed", party).order_by(ReconciliationMatch.id)
    if agreement_ids is not None:
        query = query.where(ReconciliationMatch.id.in_(
            select(ReconciliationAllocation.match_id).join(Invoice, Invoice.id == ReconciliationAllocation.invoice_id)
            .where(Invoice.agreement_id.in_(agreement_ids))))
    rows = list(session.execute(query).scalars())
    return {"proposed_matches": [
        {"match": v["id"], "transfer": v["transfer"], "payer": v["payer"], "payee": v["payee"],
         "method": v["method"], "confidence": v["confidence"], "currency": v["currency"], "value": str(v["value"]),
         **_settled_items(v["allocations"])} for v in views(session, rows)]}


def _settled_items(allocations: list[dict]) -> dict:
    """The invoices a proposal settles; a claim match names its cost claims instead (and no invoice)."""
    claim_ids = [a["claim"] for a in allocations if a["claim"] is not None]
    invoice_ids = [a["invoice"] for a in allocations if a["invoice"] is not None]
    return {"invoices": invoice_ids, "claims": claim_ids} if claim_ids else {"invoices": invoice_ids}



def add_match(session: Session, **columns) -> ReconciliationMatch:
    """A match another feature's pass makes (payments' EndToEndId match, or its exception), added to the session:
    the caller flushes."""
    row = ReconciliationMatch(**columns)
    session.add(row)
    return row
