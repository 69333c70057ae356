"""Cursor pagination over an ordered key: stable under inserts, no OFFSET scans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import BigInteger, Integer, Select
from sqlalchemy.orm import InstrumentedAttribute

from contracts.common import MAX_ID, decode_cursor, encode_cursor
from ledger import db
from ledger.errors import field_error


def page(query: Select, key: InstrumentedAttribute, args: dict, convert: Callable[[str], Any] = int) -> dict:
    """One page of `query` ordered by `key`; returns {"items", "next_cursor"} ready for the page schema."""
    limit = args.get("limit", 100)
    try:
        after = decode_cursor(args.get("cursor"))
        if after is not None:
            query = query.where(key > _within(key, convert(after)))
    except (ValueError, ValidationError):  # a cursor that is not base64 of UTF-8 raises the latter
        raise field_error("cursor", "not a cursor this service gave out") from None
    rows = list(db.session().execute(query.order_by(key).limit(limit + 1)).scalars())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(getattr(rows[-1], key.key))
    return {"items": rows, "next_cursor": next_cursor}


def _within(key: InstrumentedAttribute, value: Any) -> Any:
    """A cursor's value as the key's column can hold it: a number past the column (PostgreSQL's INTEGER, SQLite's
    64 bits) or text with a NUL is no cursor of ours, and would fail in the driver (a 500)."""
    if isinstance(value, int):
        largest = 2**63 - 1 if isinstance(key.type, BigInteger) else MAX_ID
        if isinstance(key.type, Integer) and abs(value) > largest:
            raise ValueError(value)
    elif "\x00" in str(value):
        raise ValueError(value)
    return value
