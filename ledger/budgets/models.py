"""Budget lines voted for a fiscal year and an agreement (or one kind of obligation under it), and their revisions.

What a line has committed, invoiced and paid is not stored: it is read from the obligations accrued under the
agreement (`service.execution`), so it cannot drift from the journal. A line stores only what parliament voted,
its revisions, and the excess a second officer approved (`approved_excess`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, moment_now

ON_EXCEED = ("refuse", "approve")


class BudgetLine(SQLModel, table=True):
    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("fiscal_year", "agreement_id", "category",
                                       name="uq_budget_lines_fiscal_year_agreement_id_category"),)

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(index=True)  # named by the calendar year it starts in
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    category: str = Field(default="", max_length=40)  # "" = every obligation of the agreement
    voted: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))  # as first voted; revisions add to it
    currency: str = Field(max_length=3)
    on_exceed: str = Field(max_length=10)  # refuse | approve
    approved_excess: Decimal = Field(default=Decimal(0), sa_column=Column(AMOUNT, nullable=False))
    version: int = Field(default=1)
    created_at: datetime = moment_now()


class BudgetRevision(SQLModel, table=True):
    """A change to the voted amount (a supplementary estimate adds, a cut subtracts): append-only."""

    __tablename__ = "budget_revisions"

    id: int | None = Field(default=None, primary_key=True)
    budget_line_id: int = Field(foreign_key="budget_lines.id", index=True)
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    reason: str = Field(max_length=500)
    created_at: datetime = moment_now()
