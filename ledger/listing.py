"""Cursor pagination over an ordered key: stable under inserts, no OFFSET scans; and `Listing`, a feature's list
as the pages may sort and filter it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import BigInteger, Integer, Select, or_
from sqlalchemy.orm import InstrumentedAttribute

from contracts.common import MAX_ID, decode_cursor, encode_cursor
from ledger import db
from ledger.errors import field_error


def page(query: Select, key: InstrumentedAttribute, args: dict, convert: Callable[[str], Any] = int) -> dict:
    """One page of `query` ordered by `key`; returns {"items", "next_cursor"} ready for the page schema."""
    limit = args.get("limit", 100)
    after = cursor_value(key, args, convert)
    if after is not None:
        query = query.where(key > after)
    rows = list(db.session().execute(query.order_by(key).limit(limit + 1)).scalars())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(getattr(rows[-1], key.key))
    return {"items": rows, "next_cursor": next_cursor}


def cursor_value(key: InstrumentedAttribute, args: dict, convert: Callable[[str], Any] = int) -> Any:
    """The key value the page starts after (None on the first page); 422 on the `cursor` field for a foreign one.

    For a query whose filter is a correlated subquery over another table ordered like the key (an entry's
    postings by entry id), the caller bounds that subquery by the same value, so its index is read from the
    cursor on rather than from the start."""
    try:
        after = decode_cursor(args.get("cursor"))
        return None if after is None else _within(key, convert(after))
    except (ValueError, ValidationError):  # a cursor that is not base64 of UTF-8 raises the latter
        raise field_error("cursor", "not a cursor this service gave out") from None


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


def either_party(*columns: Any) -> Callable[[Select, str], Select]:
    """A list's party filter: the code as typed (any case) matches a row on whichever of `columns` names it —
    payer or payee, issuing or enforcing state, a party or its counterparty."""

    def narrowed(query: Select, code: str) -> Select:
        return query.where(or_(*(column == code.upper() for column in columns)))

    return narrowed


@dataclass(frozen=True)
class Listing:
    """A feature's list as the pages show it (`ledger.web.tables.Table`): the query of its rows, and the orders and
    filters the feature offers, each by name. A page picks among them by name, so it needs none of the feature's
    tables, and the query string reaches the SQL no other way. The tiebreak (a unique column) keeps the order
    total. A filter takes the query and the value typed (stripped, never empty)."""

    query: Callable[[], Select]
    orders: Mapping[str, Any]
    tiebreak: Any
    filters: Mapping[str, Callable[[Select, str], Select]] | None = None

    def filter(self, name: str) -> Callable[[Select, str], Select]:
        return (self.filters or {})[name]
