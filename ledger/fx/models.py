"""Exchange rates an officer recorded (or imported from a central bank's reference rates), and month-end
revaluations posted with them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import RATE, moment_now


class FxRate(SQLModel, table=True):
    """On day `on`, 1 `currency` = `rate` `quote_currency` (ECB reference rates: currency EUR)."""

    __tablename__ = "fx_rates"
    __table_args__ = (UniqueConstraint("currency", "quote_currency", "on",
                                       name="uq_fx_rates_currency_quote_currency_on"),)

    id: int | None = Field(default=None, primary_key=True)
    currency: str = Field(max_length=3)
    quote_currency: str = Field(max_length=3)
    rate: Decimal = Field(sa_column=Column(RATE, nullable=False))
    on: date = Field(index=True)
    source: str = Field(max_length=100)
    created_at: datetime = moment_now()


class Revaluation(SQLModel, table=True):
    """A party's month-end revaluation of `period`: the entry at the month's last day and its reversal on the
    first day of the next (no entries when nothing was open in another currency)."""

    __tablename__ = "revaluations"
    __table_args__ = (UniqueConstraint("period", "party_code", name="uq_revaluations_period_party_code"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)
    party_code: str = Field(foreign_key="parties.code", max_length=2)
    reporting_currency: str = Field(max_length=3)
    entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    reversal_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    created_at: datetime = moment_now()
