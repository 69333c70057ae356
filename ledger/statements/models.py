"""Imported bank statements and the transfers they carry.

`statements` is one imported file (the `/statements/{id}` resource); `statement_parts` is each statement
inside it (a camt `Stmt`/`Rpt`/`Ntfctn`, an MT940 `:20:` block) with its account, balances and check;
`transfers` is every booked movement, once: its UNIQUE `fingerprint` (from the parser, independent of the
file, message and statement id) is the dedup guard that makes re-imports create nothing.

Transfers are insert-mostly: only `party_code`/`counterparty_party` (filled in when an account is
registered later, see `service.attach_unknown_transfers`) and `allocated` (kept by reconciliation) change.

`transfer_fx` is what the bank stated about a transfer made in another currency (the amount the payer
instructed, in the invoice's currency, and the rate); the importer stores it from camt `AmtDtls` (source
"statement"), `statements.service.state_fx` (PUT /transfers/{id}/fx) records it when it comes by other means.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, RATE, moment_now, moment_unset


class Statement(SQLModel, table=True):
    """One imported statement file and what the import found in it."""

    __tablename__ = "statements"

    id: int | None = Field(default=None, primary_key=True)
    format: str = Field(max_length=10)
    format_version: str | None = Field(default=None, max_length=10)
    account: str | None = Field(default=None, max_length=70)  # None when the file covers several accounts
    party_code: str | None = Field(default=None, foreign_key="parties.code", max_length=2, index=True)
    currency: str | None = Field(default=None, max_length=3)
    message_id: str | None = Field(default=None, max_length=140)
    statements: int = 0
    entries: int = 0
    imported: int = 0
    duplicates: int = 0
    not_booked: int = 0
    opening_balance: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    closing_balance: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    balance_check: str = Field(max_length=12)
    flags: str = Field(default="", max_length=500)  # comma-separated, e.g. "unknown_account,balance_mismatch"
    file_sha256: str = Field(max_length=64, index=True)
    imported_by: str = Field(max_length=100)
    imported_at: datetime = moment_now()
    # A wrong import voided (`statements.voiding`): its transfers reversed out of the journal, kept as "voided".
    voided_at: datetime | None = moment_unset()
    voided_by: str | None = Field(default=None, max_length=100)
    void_reason: str | None = Field(default=None, max_length=500)


class StatementPart(SQLModel, table=True):
    """One statement inside an imported file."""

    __tablename__ = "statement_parts"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statements.id", index=True)
    index: int
    account: str | None = Field(default=None, max_length=70, index=True)
    party_code: str | None = Field(default=None, foreign_key="parties.code", max_length=2, index=True)
    currency: str | None = Field(default=None, max_length=3)
    bank_statement_id: str | None = Field(default=None, max_length=140)
    message_id: str | None = Field(default=None, max_length=140)
    from_date: date | None = None
    to_date: date | None = None
    opening_balance: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    closing_balance: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    credits: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    debits: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    entries: int = 0
    imported: int = 0
    balance_check: str = Field(max_length=12)
    unknown_account: bool = False


class Transfer(SQLModel, table=True):
    """One booked movement on a bank account, as the bank reported it."""

    __tablename__ = "transfers"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statements.id")  # ix_transfers_statement_id_id below
    statement_index: int
    entry_index: int
    detail_index: int | None = None
    account: str = Field(max_length=70)  # ix_transfers_account_id below
    party_code: str | None = Field(default=None, foreign_key="parties.code", max_length=2)
    counterparty_party: str | None = Field(default=None, foreign_key="parties.code", max_length=2)
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    currency: str = Field(max_length=3)
    direction: str = Field(max_length=6)
    booking_date: date | None = None
    value_date: date | None = None
    bank_reference: str | None = Field(default=None, max_length=140)
    end_to_end_id: str | None = Field(default=None, max_length=140)
    uetr: str | None = Field(default=None, max_length=36)
    structured_reference: str | None = Field(default=None, max_length=140)
    structured_reference_scheme: str | None = Field(default=None, max_length=4)
    remittance_information: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    counterparty_name: str | None = Field(default=None, max_length=200)
    counterparty_iban: str | None = Field(default=None, max_length=34, index=True)
    reversal: bool = False
    booking_status: str = Field(default="booked", max_length=12)
    fingerprint: str = Field(max_length=64, unique=True)
    allocated: Decimal = Field(default=Decimal(0), sa_column=Column(AMOUNT, nullable=False, server_default="0"))


class TransferFx(SQLModel, table=True):
    """A payment in another currency: the amount instructed (in the invoice's currency) and the stated rate,
    quoted as units of the transfer's currency per unit of the instructed one."""

    __tablename__ = "transfer_fx"

    transfer_id: int = Field(foreign_key="transfers.id", primary_key=True)
    instructed_amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    instructed_currency: str = Field(max_length=3)
    rate: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))
    source: str = Field(max_length=100)


# The reconciliation queue: a party's transfers in order; unknown-account transfers are found by account.
Index("ix_transfers_party_id", Transfer.party_code, Transfer.id)
Index("ix_transfers_structured_reference", Transfer.structured_reference)
# The transfers list filtered by statement or by account, in id order (its keyset page).
Index("ix_transfers_statement_id_id", Transfer.statement_id, Transfer.id)
Index("ix_transfers_account_id", Transfer.account, Transfer.id)
