from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import moment_now


class Party(SQLModel, table=True):
    """A state that is a side of agreements or claims: a host country or an EU member state."""

    __tablename__ = "parties"

    code: str = Field(primary_key=True, max_length=2)
    name: str = Field(max_length=200)
    contact_point: str = Field(default="", max_length=500)
    # The payer's fiscal year starts on the 1st of this month (UK: 4); budgets and year reports follow it.
    fiscal_year_start_month: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # What its open items in other currencies are revalued into at month end (None: not revalued).
    reporting_currency: str | None = Field(default=None, max_length=3)
    version: int = Field(default=1)
    created_at: datetime = moment_now()


class BankAccount(SQLModel, table=True):
    """A party's registered account: statements for it are attributed to the party."""

    __tablename__ = "bank_accounts"
    __table_args__ = (UniqueConstraint("iban", name="uq_bank_accounts_iban"),)

    id: int | None = Field(default=None, primary_key=True)
    party_code: str = Field(foreign_key="parties.code", index=True, max_length=2)
    iban: str = Field(max_length=34)
    bic: str | None = Field(default=None, max_length=11)
    currency: str = Field(max_length=3)
