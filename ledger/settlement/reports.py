"""The settlement report in four formats, all rendered from the same statement values and the same tables
(`ledger.settlement.tables`).

- JSON: the signed document itself (or the live statement of an open period).
- CSV: a zip of flat CSV files, one per table (one row per line, one column per field, ISO dates, amounts as
  plain decimals beside a currency column), plus each signed statement's canonical bytes and its detached
  Ed25519 signature, so `openssl pkeyutl -verify -rawin` checks the file as it is.
- XLSX: a summary sheet, a sheet per table and one per partner; amounts are numbers in their currency's format
  and minor units, dates are dates, headers are words, widths fit, the header row is frozen with a filter.
- PDF: an A4 document a minister can sign (see `pdf.py`).

A report covers one month or any run of whole months (`service.statement_of_months`); the generators read only the
statement content, so they do not care which.

Partner text (a dispute comment, an invoice number) is data, never a formula: `cells.looks_like_formula` decides,
for CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.cells import looks_like_formula, neutralise
from ledger.integrity import canonical_json
from ledger.money import MoneyError, minor_units
from ledger.settlement import tables
from ledger.settlement.tables import AMOUNT, COUNT, DATE, NUMBER, ReportTable

#: Zip entries carry a timestamp: a fixed one keeps the same statement's zip the same bytes on every download.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class Report:
    """What every format renders: the statement content, its signatures, the signed documents, for whom."""

    period: str
    status: str
    content: dict
    signatures: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)
    party: str | None = None  # a report of one party's section
    series: list[dict] = field(default_factory=list)  # accrued and paid per month and currency (charts)

    @property
    def partners(self) -> list[str]:
        """The parties that get a section of their own."""
        return [self.party] if self.party else tables.parties_of(self.content)


def merged(view: dict) -> dict:
    """One statement out of what `service.statement_for` answers (live, or one or more frozen documents)."""
    if view["status"] != "closed":
        return {"content": view["statement"], "signatures": []}
    docs = view["documents"]
    if len(docs) == 1:
        return {"content": docs[0]["statement"], "signatures": [_signature(docs[0])]}
    content = {"period": view["period"], "scope": "several", "agreements": [], "parties": [], "open_items": {}}
    for doc in docs:
        st = doc["statement"]
        content["agreements"] += st.get("agreements", [])
        content["parties"] += st.get("parties", [])
        for kind, items in st.get("open_items", {}).items():
            content["open_items"].setdefault(kind, []).extend(items)
        content["journal_chain_head"] = st.get("journal_chain_head")
    return {"content": content, "signatures": [_signature(d) for d in docs]}


def _signature(doc: dict) -> dict:
    return {"scope": doc["statement"].get("scope"), "digest": doc["digest"], "signature": doc["signature"],
            "key_id": doc.get("key_id"), "public_key": doc["public_key"],
            "chain_head": doc["statement"].get("journal_chain_head")}


def report_of(view: dict, party: str | None = None, series: list[dict] | None = None) -> Report:
    data = merged(view)
    return Report(view["period"], view["status"], data["content"], data["signatures"],
                  view.get("documents", []), party, series or [])


# ---- JSON ----------------------------------------------------------------------------------------------

def to_json(view: dict) -> bytes:
    return json.dumps(view, indent=2, sort_keys=True, default=str).encode()


# ---- CSV (a zip of flat files) ---------------------------------------------------------------------------

def csv_value(value, kind: str) -> str:
    """One CSV field: ISO dates, plain decimals, text neutralised against formulas; None is empty."""
    if value is None:
        return ""
    if kind in (AMOUNT, NUMBER, COUNT):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def table_csv(table: ReportTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(row.get(c.key), c.kind) for c in table.columns])
    return out.getvalue().encode("utf-8")


def _signed_files(report: Report) -> list[tuple[str, bytes]]:
    """Each signed statement as the bytes that were signed, its raw 64-byte signature and the key in PEM."""
    import base64

    from ledger.settlement.signing import public_key_pem_of

    files = []
    for doc in report.documents:
        scope = doc["statement"].get("scope", "all").replace(":", "-")
        name = "statement.json" if len(report.documents) == 1 else f"statement-{scope}.json"
        files += [(name, canonical_json(doc["statement"])), (name + ".sig", base64.b64decode(doc["signature"])),
                  (name.removesuffix(".json") + ".key.pem", public_key_pem_of(doc["public_key"]).encode())]
    return files


_README = """Settlement report {period} ({status}), scope {scope}.

One CSV file per table: UTF-8, a header row of field names, one row per line, dates as YYYY-MM-DD, amounts as
plain decimals with the currency's minor units beside a currency column. A text cell that a spreadsheet would
read as a formula (starting with = + - @, tab or carriage return) is written with a leading apostrophe.
{signed}"""

_SIGNED = """
statement*.json holds the exact bytes that were signed (canonical JSON); statement*.json.sig is the raw Ed25519
signature of those bytes; statement*.key.pem the public key that made it (also at GET /api/v1/signing-key).
Check one with OpenSSL 3:

    openssl pkeyutl -verify -pubin -inkey statement.key.pem -rawin -in statement.json -sigfile statement.json.sig
    sha256sum statement.json   # the digest that the PDF and the XLSX print
"""

_UNSIGNED = """
The period is still open: statement.json is the live statement, not signed yet (it is signed when the month
is closed).
"""


def to_csv(view: dict, party: str | None = None) -> bytes:
    report = report_of(view, party)
    files = [(f"{t.name}.csv", table_csv(t)) for t in tables.statement_tables(report.content)]
    if report.signatures:
        files.append(("signatures.csv", table_csv(tables.signature_table(report.signatures))))
        files += _signed_files(report)
    else:
        files.append(("statement.json", to_json(view)))
    readme = _README.format(period=report.period, status=report.status, scope=report.content.get("scope"),
                            signed=_SIGNED if report.signatures else _UNSIGNED)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in [("README.txt", readme.encode()), *files]:
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    return out.getvalue()


# ---- XLSX ----------------------------------------------------------------------------------------------

def number_format(currency: str | None) -> str:
    """`#,##0.00` for GBP, `#,##0` for JPY: the currency's own minor units (2 when the currency is unknown)."""
    try:
        places = minor_units(currency) if currency else 2
    except MoneyError:
        places = 2
    return "#,##0" + ("." + "0" * places if places else "")


def _xlsx_value(value, kind: str):
    if value is None or value == "":
        return None
    if kind in (AMOUNT, NUMBER):
        return Decimal(str(value))
    if kind == DATE and isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _write_table(sheet, table: ReportTable, first_row: int) -> int:
    """Write a table with its header at `first_row`; returns the next free row."""
    bold = _bold()
    for col, column in enumerate(table.columns, start=1):
        cell = sheet.cell(first_row, col, column.header)
        cell.font = bold
    for r, row in enumerate(table.rows, start=first_row + 1):
        for col, column in enumerate(table.columns, start=1):
            cell = sheet.cell(r, col, _xlsx_value(row.get(column.key), column.kind))
            if column.kind == AMOUNT:
                cell.number_format = number_format(row.get("currency"))
            elif column.kind == DATE:
                cell.number_format = "yyyy-mm-dd"
    return first_row + len(table.rows) + 1


def _bold():
    from openpyxl.styles import Font

    return Font(bold=True)


def _sheet(book, title: str):
    from openpyxl.workbook.child import INVALID_TITLE_REGEX

    name = INVALID_TITLE_REGEX.sub(" ", title)[:31]
    return book.create_sheet(name)


def _one_table_sheet(sheet, table: ReportTable) -> None:
    """A sheet holding one table: header frozen, a filter over the whole table."""
    from openpyxl.utils import get_column_letter

    end = _write_table(sheet, table, 1)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{max(end - 1, 1)}"


def _stacked_sheet(sheet, heading: str, stack: list[ReportTable]) -> None:
    """A partner's sheet: its tables one under the other, each with a title; the first header row frozen."""
    from openpyxl.styles import Font

    sheet.cell(1, 1, heading).font = Font(bold=True, size=13)
    row = 3
    for index, table in enumerate(stack):
        sheet.cell(row, 1, table.title).font = Font(bold=True, size=11)
        if index == 0:
            sheet.freeze_panes = f"A{row + 2}"
        row = _write_table(sheet, table, row + 1) + 1


def _fit_widths(sheet) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.value is None:
                continue
            text = f"{cell.value:,.2f}" if isinstance(cell.value, (Decimal, float)) else str(cell.value)
            widths[cell.column] = max(widths.get(cell.column, 0), len(text))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 70)


def _strings_as_text(sheet) -> None:
    """openpyxl stores a string starting with '=' as a formula: the report holds none of ours, so every such cell
    is partner text, stored as a string with Excel's quote prefix (the apostrophe of `cells.neutralise`), which
    keeps it text even when someone edits the cell."""
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f" or looks_like_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def section_tables(content: dict, party: str) -> list[ReportTable]:
    """A partner's section: its agreements, advances, quota use, and the open items it is a side of (non-empty)."""
    part = tables.for_party(content, party)
    found = tables.agreement_tables(part) + tables.open_item_tables(part) + tables.eu_tables(part)
    return [found[0], *(t for t in found[1:] if t.rows)]


def to_xlsx(view: dict, party: str | None = None) -> bytes:
    from openpyxl import Workbook

    report = report_of(view, party)
    content = report.content
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    all_tables = tables.statement_tables(content)
    _one_table_sheet(summary, all_tables[0])
    for table in all_tables[1:]:
        _one_table_sheet(_sheet(book, table.title), table)
    for partner in report.partners:
        _stacked_sheet(_sheet(book, f"Partner {partner}"), f"Partner {partner}: settlement {report.period}",
                       section_tables(content, partner))
    _one_table_sheet(_sheet(book, "Signatures"), tables.signature_table(report.signatures))
    about = book.create_sheet("About")
    for label, value in (("Settlement statement", report.period), ("Status", report.status),
                         ("Scope", content.get("scope")),
                         ("Identity", "closing = opening + accrued + adjustments - paid"),
                         ("Signed",
                          "yes: see the Signatures sheet" if report.signatures else "no: the period is open")):
        about.append([label, value])
    for sheet in book.worksheets:
        _strings_as_text(sheet)
        _fit_widths(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- PDF -----------------------------------------------------------------------------------------------

def figure(value, currency: str | None) -> str:
    """An amount for print: thousands separators, the currency's minor units, an ASCII minus (what pdftotext and a
    screen reader both read as minus)."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    try:
        places = minor_units(currency) if currency else None
    except MoneyError:
        places = None
    if places is None:
        places = max(-number.as_tuple().exponent, 0)
    return f"{number:,.{places}f}"


def to_pdf(view: dict, series: list[dict], party: str | None = None) -> bytes:
    from ledger.settlement.pdf import render

    return render(report_of(view, party, series))
