"""Reports for a payer's fiscal year or quarter: per agreement, the settlement statement's identity over the
year's months (opening + accrued + adjustments − paid = closing, with the same journal classification as the
monthly statement, `ledger.settlement.rules`), each month's own line, and the budget lines' execution.

Built from the journal alone, with the monthly statement's own aggregate (`ledger.settlement.service.movements`).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.budgets import BudgetExecutionSchema
from ledger.agreements import queries as agreement_queries
from ledger.budgets import fiscal, pdf
from ledger.budgets import service as budgets
from ledger.budgets.models import BudgetLine
from ledger.cells import neutralise
from ledger.errors import field_error, not_found
from ledger.journal import queries as journal_queries
from ledger.money import minor_units
from ledger.parties import queries as parties
from ledger.settlement import rules
from ledger.settlement import service as settlement

ROWS = ("opening", "accrued", "adjustments", "approved", "paid", "closing")


def build(session: Session, payer: str, year: int, quarter: int | None = None) -> dict:
    party = parties.get(session, payer)
    if party is None:
        raise not_found("party")
    try:
        months = fiscal.periods(year, party.fiscal_year_start_month, quarter)
    except fiscal.FiscalError as error:
        raise field_error(error.field, str(error)) from None
    lines = rules.agreement_lines(settlement.movements(session, months[0], last=months[-1], payer=payer))
    per_month = {m: rules.agreement_lines(settlement.movements(session, m, payer=payer)) for m in months}
    agreements = agreement_queries.by_ids(session, list(lines))
    rows = []
    for agreement_id in sorted(lines):
        agreement = agreements[agreement_id]
        rows.append({**lines[agreement_id], "reference": agreement.reference, "payee": agreement.payee_code,
                     "months": [{"period": m, **_figures(per_month[m].get(agreement_id), lines[agreement_id])}
                                for m in months]})
    budget_lines = list(session.execute(
        select(BudgetLine).where(BudgetLine.fiscal_year == year,
                                 BudgetLine.agreement_id.in_(agreement_queries.paid_by(payer)))
        .order_by(BudgetLine.id)).scalars())
    closed = set(journal_queries.closed_among(session, months))
    return {"payer": payer, "fiscal_year": year, "quarter": quarter,
            "fiscal_year_start_month": party.fiscal_year_start_month, "first_period": months[0],
            "last_period": months[-1], "months_closed": sorted(closed),
            # months stay the unit of closing: a year (or quarter) is closed once each of its months is
            "status": "closed" if len(closed) == len(months) else "open", "agreements": rows,
            "budget_lines": EXECUTION.dump([budgets.line_execution(session, line) for line in budget_lines],
                                            many=True)}


EXECUTION = BudgetExecutionSchema()  # the report's and the page's budget lines are written as the API sends them


def _figures(line: dict | None, year_line: dict) -> dict:
    """A month's figures; a month without postings (all earlier ones included) shows zeros."""
    if line is not None:
        return {name: line[name] for name in ROWS}
    zero = format(Decimal(0).scaleb(-minor_units(year_line["currency"])), "f")
    return {name: zero for name in ROWS}


# ---- formats -----------------------------------------------------------------------------------------

AGREEMENT_COLUMNS = ("payer", "agreement", "reference", "payee", "currency", "span", *ROWS)
BUDGET_COLUMNS = ("budget_line", "fiscal_year", "agreement", "category", "currency", "voted", "committed",
                  "invoiced", "paid", "available", "approved_excess")


def agreement_rows(report: dict) -> list[dict]:
    """One row per agreement for the whole span, then one per month."""
    rows = []
    span = f"FY{report['fiscal_year']}" + (f"Q{report['quarter']}" if report["quarter"] else "")
    for line in report["agreements"]:
        base = {"payer": report["payer"], "agreement": line["agreement_id"], "reference": line["reference"],
                "payee": line["payee"], "currency": line["currency"]}
        rows.append({**base, "span": span, **{name: line[name] for name in ROWS}})
        rows.extend({**base, "span": month["period"], **{name: month[name] for name in ROWS}}
                    for month in line["months"])
    return rows


def budget_rows(report: dict) -> list[dict]:
    return [{name: ("" if line[name] is None else str(line[name])) for name in BUDGET_COLUMNS}
            for line in report["budget_lines"]]


#: The report's formats, each with its media type.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def render(report: dict, fmt: str, table: str = "agreements") -> bytes:
    """The report in `fmt` (one of `MEDIA_TYPES`); a CSV holds one table: `agreements` or `budget_lines`."""
    if fmt == "csv":
        return to_csv(report, table)
    return {"json": to_json, "xlsx": to_xlsx, "pdf": pdf.to_pdf}[fmt](report)


def to_json(report: dict) -> bytes:
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False, default=str).encode()


def to_csv(report: dict, table: str = "agreements") -> bytes:
    columns, rows = ((BUDGET_COLUMNS, budget_rows(report)) if table == "budget_lines"
                     else (AGREEMENT_COLUMNS, agreement_rows(report)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({key: neutralise(value) for key, value in row.items()} for row in rows)
    return out.getvalue().encode("utf-8")


def _sheet(book: Workbook, title: str, columns: tuple, rows: list[dict], numeric: set[str]) -> None:
    sheet = book.create_sheet(title)
    sheet.append([name.replace("_", " ").capitalize() for name in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        units = minor_units(row["currency"])
        cells = []
        for name in columns:
            value = row[name]
            cells.append(Decimal(value) if name in numeric and value != "" else neutralise(value))
        sheet.append(cells)
        for name, cell in zip(columns, sheet[sheet.max_row]):
            if name in numeric:
                cell.number_format = "#,##0" + ("." + "0" * units if units else "")
    for index, name in enumerate(columns, start=1):
        width = max([len(str(c.value or "")) for c in sheet[get_column_letter(index)]] + [len(name)])
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 40)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def to_xlsx(report: dict) -> bytes:
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Agreements", AGREEMENT_COLUMNS, agreement_rows(report), set(ROWS))
    _sheet(book, "Budget execution", BUDGET_COLUMNS, budget_rows(report),
           {"voted", "committed", "invoiced", "paid", "available", "approved_excess"})
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
