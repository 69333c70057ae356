"""Frozen settlement statements and partners' acknowledgements of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import moment_unset


class FrozenStatement(SQLModel, table=True):
    """A closed period's statement exactly as signed: its canonical JSON never changes (append-only)."""

    __tablename__ = "settlement_statements"
    __table_args__ = (UniqueConstraint("period", "scope", name="uq_settlement_statements_period_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7, index=True)
    scope: str = Field(max_length=40)  # "all", or "agreement:<id>" for the statement of one agreement
    agreement_id: int | None = Field(default=None, index=True)
    canonical: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64)
    signature: str = Field(max_length=100)
    signed_at: str = Field(max_length=40)


class Acknowledgement(SQLModel, table=True):
    """A partner's sign-off on one agreement's statement: accepted, or named lines disputed."""

    __tablename__ = "settlement_acknowledgements"

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7, index=True)
    agreement_id: int = Field(index=True)
    party_code: str = Field(foreign_key="parties.code", max_length=2)
    digest: str = Field(max_length=64)
    accepted: bool
    disputed_lines: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    reason: str = Field(default="", max_length=2000)
    acknowledged_at: str = Field(max_length=40)


class SigningKeyRecord(SQLModel, table=True):
    """A public key that signs, or once signed, statements: never deleted, since old statements name it."""

    __tablename__ = "signing_keys"

    key_id: str = Field(primary_key=True, max_length=16)  # first 16 hex of the SHA-256 of the raw public key
    algorithm: str = Field(default="Ed25519", max_length=20)
    public_key: str = Field(max_length=64)  # base64 of the raw 32 bytes
    valid_from: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    retired_at: datetime | None = moment_unset()


class StatementReview(SQLModel, table=True):
    """A partner's word on one line of one agreement's signed statement: acknowledged, or disputed with a comment.

    A later review of the same line supersedes an earlier one (both are kept); a dispute stays open, and is
    carried into the next months' statements as an open item, until a finance officer resolves it."""

    __tablename__ = "settlement_reviews"

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7, index=True)
    agreement_id: int = Field(index=True)
    party_code: str = Field(foreign_key="parties.code", max_length=2)
    line: str = Field(max_length=80)  # a figure ("closing") or an open item ("overdue_invoices:9")
    digest: str = Field(max_length=64)  # the signed statement reviewed
    decision: str = Field(max_length=20)  # acknowledged | disputed
    comment: str = Field(default="", max_length=2000)
    reviewed_by: str = Field(max_length=100)  # the principal: user:N or token:N
    reviewed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    resolved_at: datetime | None = moment_unset()
    resolved_by: str | None = Field(default=None, max_length=100)
    resolution: str = Field(default="", max_length=2000)
