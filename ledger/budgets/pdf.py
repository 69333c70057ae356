"""The fiscal-year report as a PDF: per agreement, the year's line and its months (opening + accrued +
adjustments − paid = closing), then the budget lines' execution. Amounts with thousands separators and the
currency's minor units; partner-supplied text is escaped before ReportLab reads it as markup."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

_STYLES = getSampleStyleSheet()
_FIGURES = ("opening", "accrued", "adjustments", "paid", "closing")
_BUDGET = ("voted", "committed", "invoiced", "paid", "available")


def amount(value) -> str:
    """"1234567.50" → "1,234,567.50" (the decimals as given: the currency's minor units)."""
    text = str(value)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{Decimal(text):,.{decimals}f}"


def _table(rows: list[list], numeric_from: int) -> Table:
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
    ]))
    return table


def _span(report: dict) -> str:
    return f"FY{report['fiscal_year']}" + (f" Q{report['quarter']}" if report["quarter"] else "")


def _agreement(line: dict) -> list:
    flow = [Paragraph(escape(f"{line['reference']} ({line['currency']}), payee {line['payee']}"), _STYLES["Heading3"])]
    rows = [["Period", *(name.capitalize() for name in _FIGURES)]]
    rows.append(["Whole span", *(amount(line[name]) for name in _FIGURES)])
    rows.extend([month["period"], *(amount(month[name]) for name in _FIGURES)] for month in line["months"])
    return [*flow, _table(rows, 1), Spacer(1, 4 * mm)]


def to_pdf(report: dict) -> bytes:
    out = io.BytesIO()
    title = f"{report['payer']} {_span(report)}: agreements and budget execution"
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=title, author="Returns Ledger",
                            subject=f"{report['first_period']} to {report['last_period']}")
    flow = [Paragraph(escape(title), _STYLES["Title"]),
            Paragraph(escape(f"Months {report['first_period']} to {report['last_period']} (the fiscal year starts in "
                             f"month {report['fiscal_year_start_month']}). Per agreement: opening + accrued + "
                             f"adjustments − paid = closing."), _STYLES["BodyText"]),
            Paragraph("Agreements", _STYLES["Heading2"])]
    if not report["agreements"]:
        flow.append(Paragraph("No agreement of this payer moved in the span.", _STYLES["BodyText"]))
    for line in report["agreements"]:
        flow.extend(_agreement(line))
    flow.append(Paragraph("Budget execution", _STYLES["Heading2"]))
    if report["budget_lines"]:
        rows = [["Line", "Agreement", "Category", "Currency", *(n.capitalize() for n in _BUDGET)]]
        rows.extend([str(b["budget_line"]), str(b["agreement"]), b["category"] or "all", b["currency"],
                     *(amount(b[n]) for n in _BUDGET)] for b in report["budget_lines"])
        flow.append(_table(rows, 4))
    else:
        flow.append(Paragraph("No budget lines for this fiscal year.", _STYLES["BodyText"]))
    doc.build(flow)
    return out.getvalue()
