"""EU mutual recognition: return orders, their recognition by another member state, cost claims and
the enforcing states' escort allowance rates.

Case references never reach these tables: a return order keeps only the keyed pseudonym. A claim keeps
its assessment (each line's claimed and allowed amount, the totals, `late`, the deadlines) as it was
made, so later changes to allowance rates do not rewrite what was decided.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, moment_now, moment_unset


class ReturnOrder(SQLModel, table=True):
    """An expulsion decision of the issuing state, as other member states may be asked to enforce it."""

    __tablename__ = "return_orders"
    __table_args__ = (UniqueConstraint("issuing_state", "decision_ref",
                                       name="uq_return_orders_issuing_state_decision_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    issuing_state: str = Field(foreign_key="parties.code", max_length=2, index=True)
    decision_ref: str = Field(max_length=100)
    decision_date: date
    ground: str = Field(max_length=40)
    pseudonym: str | None = Field(default=None, max_length=64, index=True)  # NULL once erased
    sis_alert_ref: str | None = Field(default=None, max_length=100)
    european_return_order_ref: str | None = Field(default=None, max_length=100)
    legal_basis: str = Field(max_length=60)
    retain_until: date = Field(index=True)  # the decision date plus the retention period
    erased_at: datetime | None = moment_unset()
    created_at: datetime = moment_now()


class Recognition(SQLModel, table=True):
    """A request to an enforcing state to recognise and enforce a return order: requested, then decided
    (recognised or refused), then, if recognised, enforced."""

    __tablename__ = "recognitions"
    __table_args__ = (UniqueConstraint("return_order_id", "enforcing_state",
                                       name="uq_recognitions_return_order_id_enforcing_state"),)

    id: int | None = Field(default=None, primary_key=True)
    return_order_id: int = Field(foreign_key="return_orders.id", index=True)
    issuing_state: str = Field(foreign_key="parties.code", max_length=2, index=True)
    enforcing_state: str = Field(foreign_key="parties.code", max_length=2, index=True)
    requested_on: date
    status: str = Field(default="requested", max_length=20)  # requested | recognised | refused | enforced
    decided_on: date | None = None
    reason: str | None = Field(default=None, max_length=2000)
    enforced_on: date | None = None
    notified_on: date | None = None
    version: int = Field(default=1)
    created_at: datetime = moment_now()


class CostClaim(SQLModel, table=True):
    """The enforcing state's request for compensation (Decision 2004/191/EC), with its assessment,
    the issuing state's decision and the payment."""

    __tablename__ = "cost_claims"
    __table_args__ = (UniqueConstraint("recognition_id", name="uq_cost_claims_recognition_id"),)

    id: int | None = Field(default=None, primary_key=True)
    recognition_id: int = Field(foreign_key="recognitions.id")
    return_order_id: int = Field(foreign_key="return_orders.id", index=True)
    issuing_state: str = Field(foreign_key="parties.code", max_length=2, index=True)  # decides and pays
    enforcing_state: str = Field(foreign_key="parties.code", max_length=2, index=True)  # claims and receives
    legal_basis: str = Field(max_length=60)
    submitted_on: date
    currency: str = Field(max_length=3)
    claimed: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    allowed: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    recovered_from_person: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    payable: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    late: bool
    late_after: date
    flags: str = Field(default="", max_length=200)  # comma-separated ClaimFlag values
    decision_due_on: date = Field(index=True)
    #: submitted | accepted | refused | disputed | in_transit (a released payment batch ordered it, the bank has
    #: not debited it yet) | paid
    status: str = Field(default="submitted", max_length=20)
    decided_on: date | None = None
    reason: str | None = Field(default=None, max_length=2000)
    payment_due_on: date | None = Field(default=None, index=True)
    ordered_on: date | None = None  # the day a released payment batch ordered the transfer paying it
    paid_on: date | None = None
    acceptance_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    payment_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    version: int = Field(default=1)
    created_at: datetime = moment_now()


class CostClaimLine(SQLModel, table=True):
    __tablename__ = "cost_claim_lines"
    __table_args__ = (UniqueConstraint("claim_id", "line", name="uq_cost_claim_lines_claim_id_line"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="cost_claims.id", index=True)
    line: int
    category: str = Field(max_length=40)
    evidence_ref: str = Field(max_length=200)
    claimed: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    allowed: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    flags: str = Field(default="", max_length=200)
    reference_fare: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    location: str | None = Field(default=None, max_length=40)
    days: int | None = None
    escorts: int | None = None
    rate_effective_from: date | None = None
    daily_rate: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))


class AllowanceRate(SQLModel, table=True):
    """A member state's own daily allowance rate for escorts, in force from `effective_from`."""

    __tablename__ = "allowance_rates"
    __table_args__ = (UniqueConstraint("party_code", "effective_from", "currency",
                                       name="uq_allowance_rates_party_code_effective_from_currency"),)

    id: int | None = Field(default=None, primary_key=True)
    party_code: str = Field(foreign_key="parties.code", max_length=2, index=True)
    effective_from: date
    daily_rate: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    currency: str = Field(max_length=3)
    created_at: datetime = moment_now()


class CostClaimLineDecision(SQLModel, table=True):
    """One line's answer by the issuing state, append-only: the decision (``step`` ``decision``), then what a
    dispute's resolution changed (``resolution``, naming the dispute). A line's standing is its latest row."""

    __tablename__ = "cost_claim_line_decisions"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="cost_claims.id", index=True)
    line: int  # the claim line's 0-based index
    accepted: bool
    reason: str | None = Field(default=None, max_length=2000)
    decided_on: date
    step: str = Field(max_length=12)  # decision | resolution
    dispute_id: int | None = Field(default=None, foreign_key="cost_claim_disputes.id")
    created_at: datetime = moment_now()


class CostClaimDispute(SQLModel, table=True):
    """The enforcing state disputes refused lines of a decided claim; the issuing state resolves it."""

    __tablename__ = "cost_claim_disputes"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="cost_claims.id", index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    lines: str = Field(max_length=2000)  # comma-separated 0-based line indexes disputed
    opened_on: date
    stage_before: str = Field(max_length=20)  # the claim's stage when the dispute opened (accepted | refused)
    status: str = Field(default="open", max_length=10)  # open | resolved
    outcome: str | None = Field(default=None, max_length=20)  # upheld | partially_upheld | rejected
    resolution_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_on: date | None = None
    payable_before: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    payable_after: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    adjustment_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    version: int = Field(default=1)
    created_at: datetime = moment_now()
