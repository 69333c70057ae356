"""Agreements, their versions, returnees (pseudonymised), their events, and the obligations accrued.

No table holds a case reference: a returnee is known by a keyed pseudonym, which erasure sets to NULL
while the row, its id and every amount it made payable stay.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Column, Index, Text, UniqueConstraint, true
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, moment_now, moment_unset

KINDS = ("return_hub", "mutual_recognition")


class Agreement(SQLModel, table=True):
    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("reference", name="uq_agreements_reference"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    payer_code: str = Field(foreign_key="parties.code", max_length=2, index=True)
    payee_code: str = Field(foreign_key="parties.code", max_length=2, index=True)
    currency: str = Field(max_length=3)
    signed_on: date | None = Field(default=None)
    effective_from: date
    effective_to: date | None = Field(default=None)
    terminated_on: date | None = Field(default=None)
    termination_notified_on: date | None = Field(default=None)
    termination_reason: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1)  # ETag counter: bumped by every change to the agreement or its terms
    created_at: datetime = moment_now()


class AgreementVersionRow(SQLModel, table=True):
    """Version `number` of the terms (1 = as signed), a complete restatement in force from `effective_from`."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "number", name="uq_agreement_versions_agreement_id_number"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    number: int
    effective_from: date
    terms: str = Field(sa_column=Column(Text, nullable=False))  # the terms' wire JSON
    created_at: datetime = moment_now()


class Returnee(SQLModel, table=True):
    __tablename__ = "returnees"
    __table_args__ = (UniqueConstraint("agreement_id", "pseudonym", name="uq_returnees_agreement_id_pseudonym"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id")  # ix_returnees_agreement_id_id below
    pseudonym: str | None = Field(default=None, max_length=64)  # NULL once erased
    nationality: str = Field(max_length=3)
    transferred_on: date
    accepted_on: date | None = Field(default=None)
    departed_on: date | None = Field(default=None)
    status: str = Field(max_length=20)  # transferred | accepted | departed
    # The event that ended the stay: departed | voluntary_departure | returned_onward (None while present).
    departure: str | None = Field(default=None, max_length=20)
    retain_until: date = Field(index=True)
    # Set on admission and by every event, cleared once an accrual has priced the new facts (see AccrualState).
    reprice_pending: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    erased_at: datetime | None = moment_unset()
    created_at: datetime = moment_now()


class ReturneeEvent(SQLModel, table=True):
    """What happened to a returnee, as reported: append-only."""

    __tablename__ = "returnee_events"

    id: int | None = Field(default=None, primary_key=True)
    returnee_id: int = Field(foreign_key="returnees.id", index=True)
    type: str = Field(max_length=20)
    occurred_on: date
    recorded_at: datetime = moment_now()


class AccrualState(SQLModel, table=True):
    """What the last accrual of an agreement settled: every obligation due up to `priced_through`, priced by
    terms whose fingerprint is `pricing_digest`, for every returnee not marked `reprice_pending`. The next run
    re-prices only the rest (`obligations.Scope`); a different digest means a full re-pricing."""

    __tablename__ = "accrual_states"

    agreement_id: int = Field(foreign_key="agreements.id", primary_key=True)
    pricing_digest: str = Field(max_length=64)
    priced_through: date
    updated_at: datetime = moment_now()


class Obligation(SQLModel, table=True):
    """One amount an agreement made payable, posted to the journal when accrued; `key` is unique per agreement,
    so an accrual that runs twice cannot post twice."""

    __tablename__ = "obligations"
    __table_args__ = (UniqueConstraint("agreement_id", "key", name="uq_obligations_agreement_id_key"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id")
    key: str = Field(max_length=80)
    kind: str = Field(max_length=20)
    returnee_id: int | None = Field(default=None, foreign_key="returnees.id", index=True)
    due_on: date
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    currency: str = Field(max_length=3)
    period: str = Field(max_length=7)
    version: int | None = Field(default=None)
    adjusts: str | None = Field(default=None, max_length=80)
    status: str = Field(default="accrued", max_length=10)  # accrued | invoiced | paid
    journal_entry_id: int = Field(foreign_key="journal_entries.id", index=True)
    created_at: datetime = moment_now()


Index("ix_obligations_agreement_period", Obligation.agreement_id, Obligation.period)

# An agreement's returnees in id order: the list's keyset page (`ledger.listing`) reads the index in order.
Index("ix_returnees_agreement_id_id", Returnee.agreement_id, Returnee.id)
