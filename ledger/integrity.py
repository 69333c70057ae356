"""Hash chains for the journal and the audit log.

Each record carries the SHA-256 of (previous record's hash + its own canonical content), so altering,
inserting or removing any record breaks every link after it. The chain's head (sequence and hash) lives
in `chain_heads`; appending locks that row, which serialises appenders on PostgreSQL (SQLite already
has one writer at a time), so two transactions can never fork a chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from ledger.db import LockRole, held_by_long_writer, lock_role
from ledger.errors import BooksBusy

GENESIS = "0" * 64


class ChainHead(SQLModel, table=True):
    __tablename__ = "chain_heads"

    name: str = Field(primary_key=True, max_length=32)
    seq: int = Field(default=0)
    hash: str = Field(default=GENESIS, max_length=64)


def _default(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


#: One encoder for every record: `json.dumps` with options builds a new one per call, which was half the cost of
#: hashing a 100k-entry batch.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_default, ensure_ascii=False)


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, Decimals as plain strings: the same content always gives the same bytes."""
    return _CANONICAL.encode(content).encode()


def link_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical_json(content)).hexdigest()


@dataclass
class Head:
    name: str
    seq: int
    hash: str


#: The head's statements, built once: building a statement and its cache key cost more than running it (a write
#: request locks and advances the audit chain's head, an approval the journal's too).
_HEAD = select(ChainHead.seq, ChainHead.hash).where(ChainHead.name == bindparam("head_name"))
_HEAD_LOCKED = _HEAD.with_for_update()
_HEAD_UNLESS_LOCKED = _HEAD.with_for_update(skip_locked=True)
#: The backend whose transaction holds the head's row lock: the locker's transaction id is the row's xmax.
_HEAD_HOLDER = ("SELECT holder.pid FROM chain_heads JOIN pg_locks holder ON holder.locktype = 'transactionid' "
                "AND holder.transactionid = chain_heads.xmax AND holder.granted WHERE chain_heads.name = :head_name")
_HEADS = ChainHead.__table__
_TOUCH = update(_HEADS).where(_HEADS.c.name == bindparam("head_name")).values(seq=_HEADS.c.seq)
_ADVANCE = (update(_HEADS).where(_HEADS.c.name == bindparam("head_name"))
            .values(seq=bindparam("head_seq"), hash=bindparam("head_hash")))


def lock_head(session: Session, name: str) -> Head:
    """Lock and read the head of chain `name` for the rest of the transaction (creating it once)."""
    dialect = session.get_bind().dialect.name
    query = _HEAD_LOCKED if dialect == "postgresql" else _HEAD
    if dialect == "postgresql" and lock_role() is LockRole.SHORT:
        row = session.execute(_HEAD_UNLESS_LOCKED, {"head_name": name}).one_or_none()
        if row is not None:
            return Head(name, row.seq, row.hash)
        if held_by_long_writer(session, _HEAD_HOLDER, {"head_name": name}):
            raise BooksBusy()  # an API request does not wait for a long writer: it answers `books_busy` at once
    row = session.execute(query, {"head_name": name}).one_or_none()
    if row is None:  # first use: create the head, tolerating a concurrent first use
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(ChainHead).values(name=name, seq=0, hash=GENESIS).on_conflict_do_nothing())
        row = session.execute(query, {"head_name": name}).one()
    elif dialect == "sqlite":
        # Touch the row so that this transaction holds SQLite's write lock from here on.
        session.execute(_TOUCH, {"head_name": name})
    return Head(name, row.seq, row.hash)


def advance_head(session: Session | Connection, head: Head) -> None:
    session.execute(_ADVANCE, {"head_name": head.name, "head_seq": head.seq, "head_hash": head.hash})


def read_head(session: Session, name: str) -> Head:
    row = session.get(ChainHead, name)
    return Head(name, row.seq, row.hash) if row else Head(name, 0, GENESIS)


@dataclass
class Break:
    """The first place where a chain does not verify."""

    seq: int
    reason: str


def verify_chain(records: Iterable[tuple[int, str, str, Mapping[str, Any]]], head: Head) -> Break | None:
    """Check records given as (seq, prev_hash, hash, content) in sequence order against the stored head."""
    expected_seq, prev = 0, GENESIS
    for seq, stored_prev, stored_hash, content in records:
        expected_seq += 1
        if seq != expected_seq:
            return Break(expected_seq, f"record {expected_seq} is missing")
        if stored_prev != prev:
            return Break(seq, "its link to the previous record does not match")
        if link_hash(prev, content) != stored_hash:
            return Break(seq, "its content does not match its hash (altered)")
        prev = stored_hash
    if expected_seq != head.seq or prev != head.hash:
        return Break(expected_seq + 1, f"the chain ends at {expected_seq} but its head says {head.seq}")
    return None
