"""Payment batches, their transfers (items), the approvals each batch received, and imported bank status reports.

A batch pays from one debtor bank account in its currency. Its digest fingerprints what an approver sees (the
debtor account, the execution date and every item with its amount, creditor account and hold); an approval
counts only while the batch still has the digest it was given, so changing a batch voids earlier approvals.
An item's `end_to_end_id` is unique: the bank quotes it back in pain.002 and camt.054, and the ledger finds the
item by it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, moment_now, moment_unset

BATCH_STATUSES = ("proposed", "approved", "released", "cancelled")
ITEM_STATUSES = ("proposed", "held", "ordered", "accepted", "rejected", "paid", "cancelled")


class PaymentBatch(SQLModel, table=True):
    __tablename__ = "payment_batches"

    id: int | None = Field(default=None, primary_key=True)
    debtor_party: str = Field(foreign_key="parties.code", max_length=2, index=True)
    debtor_account: str = Field(max_length=34)
    debtor_bic: str | None = Field(default=None, max_length=11)
    currency: str = Field(max_length=3)
    due_by: date
    execution_date: date
    status: str = Field(default="proposed", max_length=10, index=True)
    total: Decimal = Field(default=Decimal(0), sa_column=Column(AMOUNT, nullable=False))
    approvals_required: int = Field(default=1)
    digest: str = Field(max_length=64)
    message_id: str | None = Field(default=None, max_length=35, unique=True)
    prepared_by: str = Field(max_length=200)  # the principal's key: what four eyes compare
    prepared_by_name: str = Field(max_length=200)
    created_at: datetime = moment_now()
    released_by: str | None = Field(default=None, max_length=200)
    released_at: datetime | None = moment_unset()
    release_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # the frozen pain.001
    document_sha256: str | None = Field(default=None, max_length=64)
    version: int = Field(default=1)


class PaymentItem(SQLModel, table=True):
    """One credit transfer of a batch: part or all of one invoice's open amount to its payee, or the whole payable
    of one accepted EU cost claim to its enforcing state (`claim_id`; no invoice, no agreement), or the whole of one
advance now payable under an agreement (`obligation_id` and `agreement_id`; no invoice)."""

    __tablename__ = "payment_items"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="payment_batches.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoices.id", index=True)
    agreement_id: int | None = Field(default=None, foreign_key="agreements.id")
    claim_id: int | None = Field(default=None, foreign_key="cost_claims.id", index=True)
    #: An advance (an agreement obligation) paid with no invoice asking for it: see `service` on advances.
    obligation_id: int | None = Field(default=None, foreign_key="obligations.id", index=True)
    payee_code: str = Field(foreign_key="parties.code", max_length=2)
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    currency: str = Field(max_length=3)
    creditor_name: str = Field(max_length=140)
    creditor_account: str = Field(max_length=34)
    creditor_bic: str | None = Field(default=None, max_length=11)
    creditor_country: str = Field(max_length=2)
    remittance: str = Field(max_length=140)
    remittance_is_rf: bool = False
    end_to_end_id: str = Field(max_length=35, unique=True)
    status: str = Field(default="proposed", max_length=10)
    hold_reason: str | None = Field(default=None, max_length=500)
    status_reason: str | None = Field(default=None, max_length=500)  # the bank's reason code and text
    transfer_id: int | None = Field(default=None, foreign_key="transfers.id")
    match_id: int | None = Field(default=None, foreign_key="reconciliation_matches.id")
    version: int = Field(default=1)


class PaymentApproval(SQLModel, table=True):
    """An officer's approval of a batch as they saw it (`digest`)."""

    __tablename__ = "payment_approvals"
    __table_args__ = (UniqueConstraint("batch_id", "approved_by", "digest",
                                       name="uq_payment_approvals_batch_id_approved_by_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="payment_batches.id", index=True)
    approved_by: str = Field(max_length=200)
    approved_by_name: str = Field(max_length=200)
    digest: str = Field(max_length=64)
    approved_at: datetime = moment_now()


class PaymentStatusReport(SQLModel, table=True):
    """One imported pain.002: which batch it reports on and what it said."""

    __tablename__ = "payment_status_reports"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="payment_batches.id", index=True)
    message_id: str = Field(max_length=35)
    group_status: str | None = Field(default=None, max_length=4)
    accepted: int = 0
    rejected: int = 0
    file_sha256: str = Field(max_length=64)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    imported_by: str = Field(max_length=200)
    imported_at: datetime = moment_now()
