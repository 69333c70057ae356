from __future__ import annotations

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
        return {
            "seq": self.seq, "at": self.at, "principal": self.principal, "action": self.action,
            "object_type": self.object_type, "object_id": self.object_id,
            "request_id": self.request_id, "summary": self.summary,
        }


# The audit log's filters (`GET /audit?action=…`, `?object_type=…&object_id=…`), each in seq order for the keyset page.
Index("ix_audit_log_action_seq", AuditRecord.action, AuditRecord.seq)
Index("ix_audit_log_object_seq", AuditRecord.object_type, AuditRecord.object_id, AuditRecord.seq)
