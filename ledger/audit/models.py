from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class AuditRecord(SQLModel, table=True):
    """One state change: who, what, on which object, under which request. Append-only, hash-chained.

    `at` is kept as the ISO 8601 text that was hashed, so every database returns exactly those bytes.
    """

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True)
    at: str = Field(max_length=40)
    principal: str = Field(max_length=200)
    action: str = Field(max_length=100)
    object_type: str = Field(default="", max_length=50)
    object_id: str = Field(default="", max_length=100)
    request_id: str = Field(default="", max_length=64)
    summary: str = Field(default="", max_length=2000)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def content(self) -> dict:
        """What the record's hash covers."""
        return {name: getattr(self, name) for name in HASHED}

    @staticmethod
    def content_of(row: Mapping[str, Any]) -> dict:
        """What the hash of a record about to be inserted, given as its row, covers."""
        return {name: row[name] for name in HASHED}


#: The columns a record's hash covers (all but the links: `prev_hash` and `hash`).
HASHED = ("seq", "at", "principal", "action", "object_type", "object_id", "request_id", "summary")


# The audit log's filters (`GET /audit?action=…`, `?object_type=…&object_id=…`), each in seq order for the keyset page.
Index("ix_audit_log_action_seq", AuditRecord.action, AuditRecord.seq)
Index("ix_audit_log_object_seq", AuditRecord.object_type, AuditRecord.object_id, AuditRecord.seq)
