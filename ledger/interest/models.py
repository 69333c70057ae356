"""Late-payment interest: reference rates as recorded, and the interest proposed to officers on overdue invoices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, moment_now, moment_unset


class ReferenceRate(SQLModel, table=True):
    """A published reference rate (e.g. the ECB's main refinancing operations rate) in force from a day; never
    rewritten: interest proposed at it stays explainable."""

    __tablename__ = "reference_rates"
    __table_args__ = (UniqueConstraint("reference", "effective_from",
                                       name="uq_reference_rates_reference_effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20)
    effective_from: date
    rate_percent: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))  # percent a year, ≤ 4 decimals
    source: str | None = Field(default=None, max_length=200)
    created_at: datetime = moment_now()


class InterestProposal(SQLModel, table=True):
    """Interest on one overdue invoice for the days from ``from_date`` to ``as_of`` (both inclusive), proposed by a
    run and waiting for an officer: accepted, it becomes an obligation (kind ``late_interest``); rejected, the
    window is waived."""

    __tablename__ = "interest_proposals"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    as_of: date
    from_date: date
    days: int
    principal: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    rate_percent: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    basis: str = Field(max_length=60)  # "fixed 8.00" or "ECB_MRO 4.1500 + 8.00"
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    currency: str = Field(max_length=3)
    status: str = Field(default="proposed", max_length=10)  # proposed | accepted | rejected
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = moment_unset()
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    obligation_id: int | None = Field(default=None, foreign_key="obligations.id")
    created_at: datetime = moment_now()
