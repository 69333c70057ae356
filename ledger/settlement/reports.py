"""The settlement report in four formats, all rendered from the same statement values.

JSON is the signed document itself; CSV is one table (UTF-8, header row, decimal strings); XLSX has a sheet
per section with typed cells; the PDF is an A4 document a minister can read, ending with the digest and
signature a partner checks.

Partner text (a dispute reason, an invoice number) is data, never a formula: XLSX stores every string as text
(the report holds no formulas of ours), and a CSV field a spreadsheet would read as a formula (starting with
= + - @, tab or CR) is prefixed with an apostrophe (OWASP "CSV injection"); numbers stay as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

from ledger.money import minor_units

SUMMARY_FIELDS = ("opening", "accrued", "adjustments", "invoiced", "approved", "paid", "closing")
SUMMARY_COLUMNS = ("agreement_id", "reference", "payer", "payee", "currency", *SUMMARY_FIELDS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def looks_like_formula(value) -> bool:
    """A string a spreadsheet would evaluate; a plain (negative) decimal is a number, not a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value)


def _csv_field(value):
    return "'" + value if looks_like_formula(value) else value


def merged(view: dict) -> dict:
    """One statement out of what `service.statement_for` answers (live, or one or more frozen documents)."""
    if view["status"] == "open":
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
            "public_key": doc["public_key"], "chain_head": doc["statement"].get("journal_chain_head")}


def to_json(view: dict) -> bytes:
    return json.dumps(view, indent=2, sort_keys=True, default=str).encode()


def to_csv(view: dict) -> bytes:
    data = merged(view)["content"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def row(*fields):
        writer.writerow([_csv_field(f) for f in fields])

    row("section", *SUMMARY_COLUMNS, "item")
    for line in data.get("agreements", []):
        row("agreement", *(line.get(c, "") for c in SUMMARY_COLUMNS), "")
    for kind, items in sorted(data.get("open_items", {}).items()):
        for item in items:
            row(f"open_item:{kind}", item.get("agreement_id", ""), *[""] * (len(SUMMARY_COLUMNS) - 1),
                json.dumps(item, sort_keys=True, default=str))
    return out.getvalue().encode("utf-8")


def _number_format(currency: str) -> str:
    places = minor_units(currency)
    return ("#,##0" + ("." + "0" * places if places else "")) + f' "{currency}"'


def to_xlsx(view: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    data = merged(view)
    content = data["content"]
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append(["Settlement statement", content.get("period"), view["status"]])
    summary.append(list(SUMMARY_COLUMNS))
    for cell in summary[2]:
        cell.font = Font(bold=True)
    for line in content.get("agreements", []):
        row = [line.get("agreement_id"), line.get("reference", ""), line.get("payer", ""), line.get("payee", ""),
               line["currency"]] + [Decimal(line[f]) if line.get(f) not in (None, "") else None for f in SUMMARY_FIELDS]
        summary.append(row)
        for cell in summary[summary.max_row][5:]:
            cell.number_format = _number_format(line["currency"])
    parties = book.create_sheet("Parties")
    parties.append(["party", "currency", "owes", "is_owed"])
    for row in content.get("parties", []):
        parties.append([row["party"], row["currency"], Decimal(row["owes"]), Decimal(row["is_owed"])])
        for cell in parties[parties.max_row][2:]:
            cell.number_format = _number_format(row["currency"])
    for kind, items in sorted(content.get("open_items", {}).items()):
        sheet = book.create_sheet(_sheet_name(kind))
        columns = sorted({k for item in items for k in item}) or ["(none)"]
        sheet.append(columns)
        for item in items:
            sheet.append([_typed(item.get(c)) for c in columns])
    sig = book.create_sheet("Signature")
    sig.append(["scope", "digest", "signature", "public key", "chain head seq", "chain head hash"])
    for s in data["signatures"]:
        head = s.get("chain_head") or {}
        sig.append([s["scope"], s["digest"], s["signature"], s["public_key"], head.get("seq"), head.get("hash")])
    for sheet in book.worksheets:
        _strings_as_text(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _strings_as_text(sheet) -> None:
    """openpyxl stores a string starting with '=' as a formula: the report holds none of ours, so every such cell
    is partner text and is stored as a string; quotePrefix keeps Excel from reading it as one when edited."""
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f" or looks_like_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def _sheet_name(kind: str) -> str:
    return kind.replace("_", " ").capitalize()[:31]


def _typed(value):
    """Dates as dates and amounts as numbers where the value plainly is one; everything else as text."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 and value[4] == "-" else value
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def to_pdf(view: dict, series: list[dict]) -> bytes:
    from ledger.settlement.pdf import render

    return render(view["status"], merged(view), series)
