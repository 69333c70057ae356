"""The PDF report: A4, a title block, the summary table, open items, a chart of accrued against paid by
month for the year so far, and the digest and signature on the last page."""

from __future__ import annotations

import io
import json
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

_STYLES = getSampleStyleSheet()
_COLUMNS = ("reference", "currency", "opening", "accrued", "adjustments", "approved", "paid", "closing")
_MAX_ITEMS = 40


def _text(value) -> str:
    """A value as Paragraph text: ReportLab parses a Paragraph as markup, so partner text (a dispute reason, an
    invoice number) must never reach it raw — `<img src=…>` would embed a server file or fail the whole PDF,
    `<a href=…>` would become a live link."""
    return escape(str(value))


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


def _summary(content: dict) -> Table:
    rows = [[c.capitalize() for c in _COLUMNS]]
    for line in content.get("agreements", []):
        rows.append([line.get("reference") or f"#{line['agreement_id']}", line["currency"],
                     *(line.get(c, "") for c in _COLUMNS[2:])])
    return _table(rows, 2)


def _open_items(content: dict) -> list:
    flow = [Paragraph("Open items", _STYLES["Heading2"])]
    items = content.get("open_items", {})
    if not any(items.values()):
        return flow + [Paragraph("None.", _STYLES["BodyText"])]
    for kind, rows in sorted(items.items()):
        flow.append(Paragraph(_text(f"{kind.replace('_', ' ').capitalize()}: {len(rows)}"), _STYLES["Heading4"]))
        for row in rows[:_MAX_ITEMS]:
            text = ", ".join(f"{k}: {v}" for k, v in sorted(row.items()) if not isinstance(v, (dict, list)))
            flow.append(Paragraph(_text(text or json.dumps(row, default=str)), _STYLES["BodyText"]))
        if len(rows) > _MAX_ITEMS:
            flow.append(Paragraph(f"… and {len(rows) - _MAX_ITEMS} more (see the XLSX report)", _STYLES["Italic"]))
    return flow


def _chart(series: list[dict]) -> Drawing:
    drawing = Drawing(170 * mm, 75 * mm)
    currencies = sorted({row["currency"] for row in series})
    currency = currencies[0] if currencies else ""
    rows = [row for row in series if row["currency"] == currency]
    drawing.add(String(0, 70 * mm, f"Accrued and paid by month, {currency or 'no postings yet'}",
                       fontName="Helvetica-Bold", fontSize=9))
    if not rows:
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 12 * mm, 145 * mm, 50 * mm
    # Bars need only whole currency units: the exact figures are in the summary table.
    chart.data = [[int(r["accrued"]) for r in rows], [int(r["paid"]) for r in rows]]
    chart.categoryAxis.categoryNames = [r["period"][5:] for r in rows]
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#4a6fa5")
    chart.bars[1].fillColor = colors.HexColor("#c9a227")
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fontSize = 7
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 110 * mm, 71 * mm
    legend.columnMaximum, legend.deltax, legend.dxTextSpace = 1, 25 * mm, 3 * mm
    legend.alignment = "right"
    legend.colorNamePairs = [(colors.HexColor("#4a6fa5"), "accrued"), (colors.HexColor("#c9a227"), "paid")]
    legend.fontSize = 8
    drawing.add(legend)
    return drawing


def _signatures(data: dict) -> list:
    flow = [Paragraph("Integrity", _STYLES["Heading2"])]
    if not data["signatures"]:
        return flow + [Paragraph("This period is open: the statement is not signed yet.", _STYLES["BodyText"])]
    mono = _STYLES["Code"]
    for sig in data["signatures"]:
        head = sig.get("chain_head") or {}
        flow += [Paragraph(_text(f"Statement {sig['scope']}"), _STYLES["Heading4"]),
                 Paragraph(_text(f"SHA-256 digest: {sig['digest']}"), mono),
                 Paragraph(_text(f"Ed25519 signature: {sig['signature']}"), mono),
                 Paragraph(_text(f"Public key: {sig['public_key']}"), mono),
                 Paragraph(_text(f"Journal chain head: entry {head.get('seq')}, {head.get('hash')}"), mono)]
    flow.append(Paragraph("Check offline: ledger verify-statement FILE --public-key KEY (see the README for the "
                          "openssl steps).", _STYLES["BodyText"]))
    return flow


def render(status: str, data: dict, series: list[dict]) -> bytes:
    content = data["content"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"Settlement statement {content.get('period')}",
                            leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)
    flow = [
        Paragraph("Returns Ledger — settlement statement", _STYLES["Title"]),
        Paragraph(_text(f"Period {content.get('period')} · {status} · scope {content.get('scope')}"),
                  _STYLES["Heading3"]),
        Spacer(1, 4 * mm),
        Paragraph("Summary per agreement (what is owed to the payee)", _STYLES["Heading2"]),
        _summary(content),
        Paragraph("Closing = opening + accrued + adjustments − paid; approved shows invoices approved in the "
                  "period (moved from accrued obligations to invoices payable).", _STYLES["Italic"]),
        Spacer(1, 6 * mm),
        _chart(series),
        *_open_items(content),
        PageBreak(),
        *_signatures(data),
    ]
    doc.build(flow)
    return out.getvalue()
