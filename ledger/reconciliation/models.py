"""Reconciliation runs, the matches they (or officers) make, their allocations, and rejected pairs.

A match explains one transfer: which invoices it settles and by how much (`allocations`), by which rule,
with what confidence and on what evidence. `auto` matches were posted by the run that made them;
`proposed` ones wait for an officer (confirm → `confirmed`, posted; reject → `rejected`, and each of its
(transfer, invoice) pairs is remembered in `reconciliation_rejections` so no run proposes it again);
a posted match can be `reversed` (a reversal entry; the amounts open again). Rows are never deleted.
A credit matched to an EU cost claim is a match too: its allocation names the claim (`claim_id`) and
refused (credit, claim) pairs live in `reconciliation_claim_rejections`.

Reconciliation reads `transfer_fx` (`TransferFx`, what a bank stated about a payment made in another
currency) to value a transfer in the invoice's currency; the model lives with the statements it comes from
and is imported here so that `ledger.reconciliation.models.TransferFx` keeps working.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, RATE, moment_now, moment_unset
from ledger.statements.models import TransferFx  # noqa: F401  (moved; still importable from here)
from ledger.timeutil import utcnow

#: Evidence is stored as JSON with sorted keys (the same evidence, the same text). One encoder, built once.
_EVIDENCE = json.JSONEncoder(sort_keys=True)


def evidence_json(evidence: dict[str, str]) -> str:
    return _EVIDENCE.encode(evidence)


STATUSES = ("auto", "proposed", "confirmed", "rejected", "reversed")
POSTED = ("auto", "confirmed")


class ReconciliationRun(SQLModel, table=True):
    __tablename__ = "reconciliation_runs"

    id: int | None = Field(default=None, primary_key=True)
    dry_run: bool = False
    actor: str = Field(max_length=200)
    started_at: datetime = moment_now()
    finished_at: datetime | None = moment_unset()
    transfers_considered: int = 0
    invoices_considered: int = 0
    auto_matched: int = 0
    proposed: int = 0
    unmatched_transfers: int = 0
    open_invoices: int = 0
    per_rule: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON {"rule/status": n}
    duration_ms: int = 0


class ReconciliationMatch(SQLModel, table=True):
    __tablename__ = "reconciliation_matches"

    id: int | None = Field(default=None, primary_key=True)
    # Not indexed: nothing looks matches up by run, and a run inserts ~85k of them (migration 0017).
    run_id: int | None = Field(default=None, foreign_key="reconciliation_runs.id")
    transfer_id: int = Field(foreign_key="transfers.id", index=True)
    # Copies of the transfer's party codes (whose own foreign keys vouch for them), kept for filtering; no
    # foreign keys of their own: two more checks per row were a tenth of a 100k-transfer run's server time.
    payer_code: str = Field(max_length=2)  # the statement account's owner
    payee_code: str = Field(max_length=2)  # the counterparty paid
    method: str = Field(max_length=30)
    confidence: Decimal = Field(sa_column=Column(RATE, nullable=False))
    currency: str = Field(max_length=3)  # the invoices' currency; allocations, value and residual are in it
    value: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))  # the transfer's worth applied, in `currency`
    residual: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    residual_account: str | None = Field(default=None, max_length=20)  # bank_charges | fx_differences
    #: What the match takes off the transfer, in the transfer's own currency.
    transfer_amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    transfer_currency: str = Field(max_length=3)
    fx_rate: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))
    fx_source: str | None = Field(default=None, max_length=100)
    evidence: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON {name: text}
    status: str = Field(max_length=10)
    created_by: str = Field(max_length=200)
    created_at: datetime = moment_now()
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = moment_unset()
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    reversal_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    version: int = Field(default=1)


class ReconciliationAllocation(SQLModel, table=True):
    """Part of a match's transfer applied to one invoice (`amount`), plus what a settlement within tolerance
    writes off that invoice (`written_off`): together, what comes off the invoice's open amount.

    A credit settles an EU cost claim instead (`claim_id`, whole, nothing written off): exactly one of
    `invoice_id` and `claim_id` is set."""

    __tablename__ = "reconciliation_allocations"
    __table_args__ = (
        CheckConstraint("(invoice_id IS NULL) <> (claim_id IS NULL)", name="one_settled_item"),
        # Only claim allocations are indexed: an invoice's (nearly all of a run's) have no claim to find.
        Index("ix_reconciliation_allocations_claim_id", "claim_id", postgresql_where=text("claim_id IS NOT NULL"),
              sqlite_where=text("claim_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="reconciliation_matches.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoices.id", index=True)
    claim_id: int | None = Field(default=None, foreign_key="cost_claims.id")
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    written_off: Decimal = Field(default=Decimal(0), sa_column=Column(AMOUNT, nullable=False))


class _Refusal(SQLModel):
    """A (transfer, item) pair an officer refused, by rejecting match `match_id`: no run proposes it again. The
    item's column (and so the pair's key) is each table's own."""

    transfer_id: int = Field(foreign_key="transfers.id", primary_key=True)
    match_id: int = Field(foreign_key="reconciliation_matches.id")
    # `moment_now()`, spelt out: its Column object would be shared by both tables; a type makes one for each.
    rejected_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class RejectedPair(_Refusal, table=True):
    __tablename__ = "reconciliation_rejections"

    invoice_id: int = Field(foreign_key="invoices.id", primary_key=True)


class RejectedClaimPair(_Refusal, table=True):
    """A (credit, cost claim) pair: claims have their own ids, so their own table."""

    __tablename__ = "reconciliation_claim_rejections"

    claim_id: int = Field(foreign_key="cost_claims.id", primary_key=True)


Index("ix_reconciliation_matches_status_id", ReconciliationMatch.status, ReconciliationMatch.id)
