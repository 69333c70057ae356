"""Cursor pagination over an ordered key: stable under inserts, no OFFSET scans; and `Listing`, a feature's list
as the pages may sort and filter it."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import BigInteger, BindParameter, Integer, Select, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from contracts.common import MAX_ID, decode_cursor, encode_cursor
from ledger import db
from ledger.errors import field_error


def page(query: Select, key: InstrumentedAttribute, args: dict, convert: Callable[[str], Any] = int) -> dict:
    """One page of `query` ordered by `key`; returns {"items", "next_cursor"} ready for the page schema."""
    result = db.session().execute(_bounded(query, key, args, convert)).scalars()
    return _paged(list(result), args, lambda last: getattr(last, key.key))


def rows_page(query: Select, key: InstrumentedAttribute, args: dict, convert: Callable[[str], Any] = int) -> dict:
    """`page` of a select of columns (`columns_of`), each row a dict by column name: what the page schema reads
    as it reads a model's attributes, without the ORM's work per row (identity map, instrumented model objects)
    for rows the response reads once. Nested parts are added to each dict by one more query per page. Read on the
    session's connection (its transaction; no autoflush, which a read has nothing for)."""
    # .all(): one fetchall
    return _rows_paged(db.session().connection().execute(_bounded(query, key, args, convert)), key, args)


#: The lists' selects built by `prepared_rows_page`, by shape: a handful per list (which filters a request uses).
_PREPARED: dict[Hashable, Select] = {}


def prepared_rows_page(shape: Hashable, build: Callable[[BindParameter | None], Select], key: InstrumentedAttribute,
                       args: dict, values: dict, convert: Callable[[str], Any] = int) -> dict:
    """`rows_page` of a select built once per process for each `shape` (a name for the list and the filters a
    request uses), the request's values going as its bound parameters (`values`; the page's bounds as `page_after`
    and `page_limit`). Building a select and its cache key cost a worker more CPU than running it (`bench.profile`);
    a select built once is keyed once. `build` gets the cursor's parameter (None on a first page), for a subquery
    the caller bounds as `cursor_value` says."""
    after = cursor_value(key, args, convert)
    shape = (shape, after is not None)
    statement = _PREPARED.get(shape)
    if statement is None:
        bound = bindparam("page_after") if after is not None else None
        query = build(bound) if bound is None else build(bound).where(key > bound)
        statement = _PREPARED.setdefault(shape, query.order_by(key).limit(bindparam("page_limit", type_=Integer)))
    values = {**values, "page_limit": args.get("limit", 100) + 1}
    if after is not None:
        values["page_after"] = after
    return _rows_paged(db.session().connection().execute(statement, values), key, args)


def _rows_paged(result, key: InstrumentedAttribute, args: dict) -> dict:
    names = tuple(result.keys())
    return _paged([dict(zip(names, row)) for row in result.all()], args, lambda last: last[key.key])


def columns_of(model: type) -> Select:
    """A select of `model`'s table's columns, each named as the model's attribute is: for `rows_page`."""
    return select(*model.__table__.c)


def _bounded(query: Select, key: InstrumentedAttribute, args: dict, convert: Callable[[str], Any]) -> Select:
    """`query` from after the cursor, in key order, one row past the page (to tell whether another follows)."""
    after = cursor_value(key, args, convert)
    if after is not None:
        query = query.where(key > after)
    return query.order_by(key).limit(args.get("limit", 100) + 1)


def _paged(rows: list, args: dict, key_of: Callable[[Any], Any]) -> dict:
    limit = args.get("limit", 100)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(key_of(rows[-1]))
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
