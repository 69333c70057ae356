"""Server-side tables for the pages: sort, filter and paginate in the database, from the query string.

A page declares its table once and hands it a query (the web's own tables, like the people who sign in, name
their columns):

    ACCOUNTS = Table(
        columns=[Column("code", "Account", Account.code),
                 Column("balance", "Balance", balance_expr, kind="money",
                        get=lambda row: Money(row.balance, row.Account.currency))],
        filters=[Filter("currency", "Currency", lambda q, v: q.where(Account.currency == v.upper()))],
        default_sort="code", tiebreak=Account.id)
    listing = ACCOUNTS.page(db.session(), select(Account, balance_expr.label("balance")))
    return render_template("accounts.html", table=listing)     # {{ tables.render(table, "Accounts") }}

A feature's table is the feature's own: its `queries` module offers a `ledger.listing.Listing` (the rows' query,
orders and filters by name), and the page's table names them instead of the feature's columns:

    INVOICES = Table(columns=[Column("number", "Invoice", "number"), ...],
                     filters=[Filter("status", "Status", "status", choices=...)],
                     listing=invoices.LISTING, default_sort="number")
    listing = INVOICES.page(db.session())          # the listing's own query, or one the feature's queries give

Only declared columns sort and only declared filters apply, so the query string cannot reach the SQL
any other way. The tiebreak (a unique column) keeps the order total, so pages never repeat or skip rows.

Every table exports what it shows as CSV: `?export=csv` (prefixed like the other arguments) answers the rows the
filters select, in the order shown, every page of them, with the columns as shown (`export.py`). The page's view
needs nothing for it: `page()` then reads every row, the view prepares them as for the page, and the CSV is
answered in place of the page when the view renders it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask import g, render_template, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ledger.listing import Listing

PER_PAGE_CHOICES = (25, 50, 100)
KINDS = ("text", "code", "number", "money", "date", "datetime")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: Any = None  # the SQL expression to sort by, or the name of one of the listing's orders; None: no sort
    kind: str = "text"  # money/number cells are right-aligned; date/datetime cells are ISO 8601
    get: Callable[[Any], Any] | None = None  # the cell's value from a row; default: the attribute `key`
    link: Callable[[Any], str | None] | None = None  # a URL to make the cell a link
    default_desc: bool = False  # first click sorts descending (dates, sequence numbers)

    def value(self, row: Any) -> Any:
        if self.get is not None:
            return self.get(row)
        if isinstance(row, dict):
            return row.get(self.key)
        return getattr(row, self.key, None)

    @property
    def numeric(self) -> bool:
        return self.kind in ("money", "number")


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    apply: Callable[[Select, str], Select] | str  # or the name of one of the listing's filters
    choices: Sequence[tuple[str, str]] | Callable[[Session], Sequence[tuple[str, str]]] | None = None
    placeholder: str = ""


def as_shown(*values: str) -> list[tuple[str, str]]:
    """A filter's choices whose values are what the menu shows (`status` = `paid`, shown "paid")."""
    return [(value, value) for value in values]


@dataclass
class TablePage:
    table: Table
    rows: list
    total: int
    page: int
    per_page: int
    sort: str
    descending: bool
    filters: dict[str, str]
    choices: dict[str, Sequence[tuple[str, str]]] = field(default_factory=dict)

    @property
    def columns(self) -> list[Column]:
        return self.table.columns

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_row(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.page * self.per_page)

    def _args(self, **changes: Any) -> dict:
        args = {**self.filters, "sort": self.sort, "dir": "desc" if self.descending else "asc",
                "page": self.page, "per_page": self.per_page}
        args.update(changes)
        if args.get("per_page") == PER_PAGE_CHOICES[0]:
            args.pop("per_page")
        if args.get("page") == 1:
            args.pop("page")
        prefix = self.table.prefix
        return {(k if k in self.filters else prefix + k): v for k, v in args.items() if v not in (None, "")}

    def _own_keys(self) -> set[str]:
        prefix = self.table.prefix
        return {*self.filters, *(prefix + k for k in ("sort", "dir", "page", "per_page", "export"))}

    @property
    def other_args(self) -> dict:
        """The query string of the page's other tables (several tables on a page keep each other's state)."""
        own = self._own_keys()
        return {k: v for k, v in request.args.items() if k not in own and v}

    def url(self, **changes: Any) -> str:
        """This page of this table with some arguments changed (the others kept)."""
        return url_for(request.endpoint, **(request.view_args or {}), **self.other_args, **self._args(**changes))

    def sort_url(self, column: Column) -> str:
        descending = not self.descending if column.key == self.sort else column.default_desc
        return self.url(sort=column.key, dir="desc" if descending else "asc", page=1)

    @property
    def export_url(self) -> str:
        """The CSV of what the table shows: the same filters and order, every page."""
        return self.url(page=None, per_page=None, export="csv")

    def aria_sort(self, column: Column) -> str | None:
        if column.key != self.sort:
            return None
        return "descending" if self.descending else "ascending"

    @property
    def hidden_args(self) -> dict:
        """What the filter form must carry along so applying filters keeps the sort and page size."""
        keep = {self.table.prefix + k for k in ("sort", "dir", "per_page")}
        return {**self.other_args, **{k: v for k, v in self._args(page=1).items() if k in keep}}


class Table:
    def __init__(self, columns: Sequence[Column], *, default_sort: str, tiebreak: Any = None,
                 filters: Sequence[Filter] = (), default_desc: bool | None = None, prefix: str = "",
                 listing: Listing | None = None):
        self.prefix = prefix  # for a second table on a page: its sort/dir/page/per_page arguments are prefixed
        self.listing = listing
        if listing is not None:
            columns = [replace(c, sort=listing.orders[c.sort]) if isinstance(c.sort, str) else c for c in columns]
            filters = [replace(f, apply=listing.filter(f.apply)) if isinstance(f.apply, str) else f for f in filters]
            tiebreak = listing.tiebreak if tiebreak is None else tiebreak
        if tiebreak is None:
            raise ValueError("a table needs a tiebreak (a unique column), or a listing that has one")
        self.columns = list(columns)
        self.filters = list(filters)
        self.default_sort = default_sort
        self.tiebreak = tiebreak
        by_key = {c.key: c for c in self.columns}
        if default_sort not in by_key or by_key[default_sort].sort is None:
            raise ValueError(f"default sort {default_sort!r} is not a sortable column")
        self.default_desc = by_key[default_sort].default_desc if default_desc is None else default_desc
        self._by_key = by_key

    def page(self, session: Session, query: Select | None = None, args: dict | None = None) -> TablePage:
        """One page of `query` (by default, the listing's) as the query string (or `args`) asks."""
        if query is None:
            query = self.listing.query()
        args = request.args if args is None else args
        values = {f.key: (args.get(f.key) or "").strip()[:200] for f in self.filters}
        for flt in self.filters:
            if values[flt.key]:
                query = flt.apply(query, values[flt.key])
        if self.prefix:
            args = {**args, **{k: args.get(self.prefix + k) for k in ("sort", "dir", "page", "per_page")}}
        sort, descending = self._sort_of(args)
        expression = self._by_key[sort].sort
        order = [expression.desc() if descending else expression.asc(),
                 self.tiebreak.desc() if descending else self.tiebreak.asc()]
        exporting = args.get(self.prefix + "export") == "csv"
        per_page = _int(args.get("per_page"), PER_PAGE_CHOICES[0])
        per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0]
        total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        pages = max(1, -(-total // per_page))
        page = min(max(1, _int(args.get("page"), 1)), pages)
        if exporting:
            from ledger.web.export import MAX_ROWS

            rows = session.execute(query.order_by(*order).limit(MAX_ROWS)).all()
        else:
            rows = session.execute(query.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
        rows = [row[0] if len(row) == 1 else row for row in rows]
        choices = {f.key: (f.choices(session) if callable(f.choices) else f.choices)
                   for f in self.filters if f.choices is not None}
        result = TablePage(self, rows, total, page, per_page, sort, descending, values, choices)
        if exporting:
            g.table_export = result  # answered as CSV instead of the page: see `export.answer_instead_of_page`
        return result

    def _sort_of(self, args) -> tuple[str, bool]:
        sort = args.get("sort") or self.default_sort
        column = self._by_key.get(sort)
        if column is None or column.sort is None:
            return self.default_sort, self.default_desc
        direction = args.get("dir")
        if direction in ("asc", "desc"):
            return sort, direction == "desc"
        return sort, self.default_desc if sort == self.default_sort else column.default_desc


def list_page(title: str, table: TablePage) -> str:
    """A page that is one table under its title (`list.html`): the table's label is the title."""
    return render_template("list.html", title=title, table=table)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
