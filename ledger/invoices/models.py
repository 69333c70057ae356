"""Invoices received from partners (payees), their lines, and what the checks found.

An invoice keeps the document as received (UBL XML, capped at the intake limit) so an auditor can read the
original; every figure stored here can be found in it. `amount_open` is what the payer still has to pay
in cash once the invoice is approved: the payable, less any advance offset, less what reconciliation has
settled (`service.settle`) and less what released payment batches ordered (`amount_in_transit`: the bank has not
debited it yet; `service.order_many`, `clear_transit`). Before approval, and after rejection, nothing is open.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, moment_now, moment_unset
from ledger.invoices.parsed import DOCUMENT_TYPES, STATUSES  # noqa: F401 (named here too: the columns' values)


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("payee_code", "number", name="uq_invoices_payee_code_number"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id")  # indexed by ix_invoices_agreement_period
    payee_code: str = Field(foreign_key="parties.code", max_length=2)  # the sender
    payer_code: str = Field(foreign_key="parties.code", max_length=2, index=True)
    number: str = Field(max_length=100)
    document_type: str = Field(max_length=12)  # invoice | credit_note
    issued_on: date
    due_on: date | None = Field(default=None)
    currency: str = Field(max_length=3)
    period: str = Field(max_length=7, index=True)
    payment_reference: str | None = Field(default=None, max_length=140)
    payment_reference_is_rf: bool = Field(default=False)
    payee_iban: str | None = Field(default=None, max_length=34)
    preceding_invoice: str | None = Field(default=None, max_length=100)  # what a credit note corrects
    total: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))  # the document's payable, as stated
    payable: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))  # its effect: negative for a credit note
    amount_open: Decimal = Field(default=Decimal(0), sa_column=Column(AMOUNT, nullable=False))
    #: What released payment batches ordered that the bank has not debited yet (nor rejected): no longer open,
    #: not yet paid. An approved invoice with nothing open and something in transit is `in_transit`.
    amount_in_transit: Decimal = Field(default=Decimal(0), sa_column=Column(AMOUNT, nullable=False,
                                                                            server_default="0"))
    status: str = Field(max_length=10)  # not indexed: settling an invoice stays a HOT update (migration 0016)
    source: str = Field(max_length=4)  # json | ubl
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    document_sha256: str | None = Field(default=None, max_length=64)
    dispute_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = moment_unset()
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entries.id")
    advance_offset: Decimal = Field(default=Decimal(0), sa_column=Column(AMOUNT, nullable=False))
    version: int = Field(default=1)
    created_at: datetime = moment_now()


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_invoice_id_position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id")
    position: int  # 1, 2, … in document order
    line_id: str = Field(max_length=100)  # the document's own line id (what findings and overrides name)
    kind: str | None = Field(default=None, max_length=40)
    # The returnee the line named, once found; what the partner wrote is not kept, so erasing a returnee's
    # pseudonym (retention) leaves no copy of it here.
    returnee_id: int | None = Field(default=None, foreign_key="returnees.id")
    period: str | None = Field(default=None, max_length=7)
    description: str | None = Field(default=None, max_length=500)
    amount: Decimal = Field(sa_column=Column(AMOUNT, nullable=False))
    obligation_id: int | None = Field(default=None, foreign_key="obligations.id", index=True)
    category: str | None = Field(default=None, max_length=20)  # actual_cost lines: the cost category
    evidence_ref: str | None = Field(default=None, max_length=200)  # actual_cost lines: the supporting document
    override_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class InvoiceFinding(SQLModel, table=True):
    """One thing that did not check out, on the document (`line` None) or on one line; append-only."""

    __tablename__ = "invoice_findings"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)
    line: str | None = Field(default=None, max_length=100)
    code: str = Field(max_length=40)
    message: str = Field(sa_column=Column(Text, nullable=False))
    field: str | None = Field(default=None, max_length=200)
    source: str = Field(default="check", max_length=10)  # check (intake) | officer (a dispute)
    remaining: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))  # cap_exceeded
    created_at: datetime = moment_now()


Index("ix_invoices_agreement_period", Invoice.agreement_id, Invoice.period)
