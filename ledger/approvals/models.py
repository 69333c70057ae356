from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from ledger.db import AMOUNT, moment_now, moment_unset


class Approval(SQLModel, table=True):
    """A change one officer asked for that a second officer must approve before it takes effect.

    `payload` is the JSON of what will be done on approval; `digest` fingerprints it with the kind and subject,
    so an approver approves exactly what they saw. The request, the decision and their digests are also in the
    audit log; this row is what the pages and `/approvals` list.
    """

    __tablename__ = "approvals"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    subject: str = Field(max_length=100)  # what it is about, e.g. "transfer:12" (ids only: no personal data)
    summary: str = Field(max_length=500)
    amount: Decimal | None = Field(default=None, sa_column=Column(AMOUNT, nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=12, index=True)  # pending|approved|rejected|withdrawn
    requested_by: str = Field(max_length=200)  # the principal's key: the identity four eyes compare
    requested_by_name: str = Field(max_length=200)
    requested_at: datetime = moment_now()
    decided_by: str | None = Field(default=None, max_length=200)
    decided_by_name: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = moment_unset()
    reason: str = Field(default="", max_length=500)
