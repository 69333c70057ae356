"""A table's rows as a CSV download: what the page shows (its filters, its order), every page of it.

Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` (and some, after a tab or carriage return) as a
formula, and a party's name, a reference or a memo is text someone outside may have typed. Every text cell that
begins so is neutralised with a leading apostrophe (OWASP's advice, `ledger.cells`: the one rule for every
spreadsheet the ledger writes), so it opens as the text it is. Numbers and amounts are written as plain numbers,
a minus included (a plain decimal such as `-12.50` carries no formula). An amount is two columns: the figure (a dot,
no thousands separator) and its currency.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, Response, abort, g, request
from flask.signals import before_render_template

from ledger.api import download
from ledger.cells import neutralise
from ledger.money import Money
from ledger.timeutil import today
from ledger.web.formats import isodate, isotime

#: The most rows one export carries (a list is filtered before it is exported, and this bounds the memory).
MAX_ROWS = 100_000


def cells(column, value: Any) -> list[str]:
    """The CSV cells of one table cell (two for money: figure, currency)."""
    if column.kind == "money":
        if isinstance(value, Money):
            return [str(value.amount), value.currency]
        if isinstance(value, (list, tuple)):  # several currencies in one cell
            return [neutralise("; ".join(str(m.amount) for m in value)), "; ".join(m.currency for m in value)]
        return ["" if value is None else _plain(value), ""]
    return [_plain(value)]


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return isotime(value)
    if isinstance(value, date):
        return isodate(value)
    if isinstance(value, Money):
        return f"{value.amount} {value.currency}"
    return neutralise(str(value))


def header(columns: Sequence) -> list[str]:
    out = []
    for column in columns:
        out += [column.label, f"{column.label} (currency)"] if column.kind == "money" else [column.label]
    return [neutralise(label) for label in out]


def csv_download(columns: Sequence, rows: Sequence, endpoint: str | None) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(columns))
    for row in rows:
        writer.writerow([cell for column in columns for cell in cells(column, column.value(row))])
    name = (endpoint or "table").replace("web_", "").replace(".", "-")
    # A byte-order mark: Excel then reads the file as UTF-8 (names with accents stay readable).
    return download("\ufeff" + buffer.getvalue(), "text/csv", f"{name}-{today().isoformat()}.csv")


def answer_instead_of_page(sender: Flask, template, context, **extra) -> None:
    """Before a page renders: when one of its tables was asked for as CSV (`Table.page` left it in `g`), answer
    the CSV instead. Here, not in `Table.page`, because views prepare their rows after reading them (joining
    names, building views) and the CSV must show what the page shows. `abort(response)` ends the request with it."""
    table = g.pop("table_export", None)
    if table is not None:
        abort(csv_download(table.columns, table.rows, request.endpoint))


def init_app(app: Flask) -> None:
    before_render_template.connect(answer_instead_of_page, app)
