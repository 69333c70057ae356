"""The double-entry journal: accounts, entries, postings and monthly periods.

Entries and postings are immutable once written (database triggers); an entry's `id` is its place in
the hash chain. Postings carry their entry's effective date and period so that balances are one
aggregate over one table.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, RATE


class Account(SQLModel, table=True):
    """An account keyed by purpose, party, agreement and currency; created on first use, never deleted."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("code", name="uq_accounts_code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=120)
    purpose: str = Field(max_length=40, index=True)
    party_code: str | None = Field(default=None, foreign_key="parties.code", max_length=2, index=True)
    counterparty_code: str | None = Field(default=None, foreign_key="parties.code", max_length=2, index=True)
    agreement_id: int | None = Field(default=None, index=True)
    currency: str = Field(max_length=3)
    bank_account: str | None = Field(default=None, max_length=70, index=True)


class JournalEntry(SQLModel, table=True):
    __tablename__ = "journal_entries"
    __table_args__ = (UniqueConstraint("reverses_id", name="uq_journal_entries_reverses_id"),)

    id: int = Field(primary_key=True)  # the entry's sequence number in the hash chain
    effective_date: date = Field(index=True)
    period: str = Field(max_length=7)  # ix_journal_entries_period_id below
    source_type: str = Field(max_length=40)
    source_id: str = Field(max_length=64)
    memo: str = Field(default="", max_length=500)
    reverses_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    created_at: str = Field(max_length=40)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


Index("ix_journal_entries_source", JournalEntry.source_type, JournalEntry.source_id)
# A period's entries in id (chain) order: the entries list's `period` filter with its keyset page.
Index("ix_journal_entries_period_id", JournalEntry.period, JournalEntry.id)


class Posting(SQLModel, table=True):
    """One line of an entry: a signed amount (debit positive, credit negative) on one account."""

    __tablename__ = "postings"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="journal_entries.id", index=True)
    line: int
    account_id: int = Field(foreign_key="accounts.id")
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    effective_date: date
    period: str = Field(max_length=7)
    fx_rate: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))
    fx_source: str | None = Field(default=None, max_length=100)
    original_amount: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    original_currency: str | None = Field(default=None, max_length=3)


Index("ix_postings_account_date", Posting.account_id, Posting.effective_date)
# An account's entries in entry order (with the period, its entries in a period): the entries list narrowed to a
# partner's accounts or to one account reads a page from them (`journal.queries._entry_query_by_postings`).
Index("ix_postings_account_entry", Posting.account_id, Posting.entry_id)
Index("ix_postings_account_period", Posting.account_id, Posting.period, Posting.entry_id)


class Period(SQLModel, table=True):
    """A monthly booking period: open, then closed for ever (its chain head recorded at close)."""

    __tablename__ = "periods"

    period: str = Field(primary_key=True, max_length=7)
    status: str = Field(default="open", max_length=10)
    closed_at: str | None = Field(default=None, max_length=40)
    chain_seq: int | None = Field(default=None)
    chain_hash: str | None = Field(default=None, max_length=64)
