"""The PDF report: A4 landscape, for a minister to sign and a partner to check.

A title block; the summary (agreements and party totals); one chart per currency of accrued against paid by
month, each followed by its figures as a table; the open items and EU sections as tables; then one section
per partner, each starting on a new page so it can be printed and sent alone (`?party=` gives only that
section); the digests and signatures last.

Accessibility, as far as ReportLab goes: the document has a title shown in the viewer's title bar, a language
(`/Lang`), author, subject and keywords; every heading is a bookmark in the outline, nested by level; tables
repeat their header row on each page; amounts carry thousands separators and a plain minus. ReportLab (the open
source edition) writes no structure tree: the PDF is not tagged (no `/StructTreeRoot`, no `/MarkInfo`), so a
screen reader gets the text in drawing order, not marked-up headings and table header cells, and the charts
have no alternative text of their own (the table after each chart carries its figures). That is the honest
limit of "PDF/UA-minded" here.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ledger.settlement import tables
from ledger.settlement.reports import Report, figure, section_tables
from ledger.settlement.tables import AMOUNT, COUNT, NUMBER, ReportTable

_STYLES = getSampleStyleSheet()
_CELL = ParagraphStyle("cell", parent=_STYLES["BodyText"], fontName="Helvetica", fontSize=7.5, leading=9)
_MONO = ParagraphStyle("mono", parent=_STYLES["Code"], fontSize=7, leading=8.5)
_HEADINGS = {"Title": 0, "Heading1": 0, "Heading2": 1, "Heading3": 2}
_WRAP_AT = 28  # text cells longer than this wrap inside their column
ACCRUED, PAID = colors.HexColor("#2f5597"), colors.HexColor("#b8860b")  # distinct also in greyscale
LANG = "en-GB"


def _text(value) -> str:
    """A value as Paragraph text: ReportLab parses a Paragraph as markup, so partner text (a dispute reason, an
    invoice number) must never reach it raw — `<img src=…>` would embed a server file or fail the whole PDF,
    `<a href=…>` would become a live link."""
    return escape(str(value))


def _para(text: str, style: str = "BodyText") -> Paragraph:
    return Paragraph(_text(text), _STYLES[style] if isinstance(style, str) else style)


class _Document(SimpleDocTemplate):
    """Every heading becomes a bookmark in the outline, nested by its level (the reader's table of contents)."""

    def afterFlowable(self, flowable):
        if not isinstance(flowable, Paragraph) or flowable.style.name not in _HEADINGS:
            return
        level = _HEADINGS[flowable.style.name]
        key = f"h{id(flowable)}"
        self.canv.bookmarkPage(key)
        # an outline level may only go one deeper than the one before it
        level = min(level, getattr(self, "_outline_level", -1) + 1)
        self._outline_level = level
        self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=level > 0)


def _cell(value, kind: str, currency: str | None):
    if value is None or value == "":
        return ""
    if kind == AMOUNT:
        return figure(value, currency)
    if kind in (COUNT, NUMBER):
        return str(value)
    text = str(value)
    return Paragraph(_text(text), _CELL) if len(text) > _WRAP_AT else text


def _table(table: ReportTable) -> list:
    """A table with its title; an empty one says so in words."""
    flow = [CondPageBreak(25 * mm), _para(table.title, "Heading2")]
    if not table.rows:
        return flow + [_para("None.")]
    rows = [[c.header for c in table.columns]]
    for row in table.rows:
        rows.append([_cell(row.get(c.key), c.kind, row.get("currency")) for c in table.columns])
    grid = Table(rows, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 7.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f0f0f0")]),
    ]
    for index, column in enumerate(table.columns):
        if column.kind in (AMOUNT, COUNT, NUMBER):
            style.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    grid.setStyle(TableStyle(style))
    return flow + [grid]


def _chart(currency: str, rows: list[dict]) -> list:
    """Accrued against paid per month in one currency, then the same figures as a table (the chart's words)."""
    drawing = Drawing(250 * mm, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 28 * mm, 8 * mm, 215 * mm, 48 * mm
    # Bars need whole currency units only; the exact figures are in the table below the chart.
    chart.data = [[int(r["accrued"]) for r in rows], [int(r["paid"]) for r in rows]]
    chart.categoryAxis.categoryNames = [r["period"] for r in rows]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fontSize = 7
    chart.bars[0].fillColor, chart.bars[1].fillColor = ACCRUED, PAID
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y, legend.alignment = 30 * mm, 61 * mm, "right"  # swatch, then its words
    legend.columnMaximum, legend.deltax, legend.dxTextSpace, legend.fontSize = 1, 45 * mm, 2 * mm, 8
    legend.colorNamePairs = [(ACCRUED, "accrued + adjustments"), (PAID, "paid")]
    drawing.add(legend)
    figures = ReportTable(f"series_{currency}", f"Accrued and paid by month, {currency}: the figures",
                          [tables.Col("period", "Month"), tables.Col("currency", "Currency"),
                           tables.Col("accrued", "Accrued + adjustments", AMOUNT), tables.Col("paid", "Paid", AMOUNT)],
                          rows)
    return [KeepTogether([_para(f"Accrued and paid by month, {currency}", "Heading2"), drawing]),
            *_table(figures)[2:]]


def _charts(series: list[dict]) -> list:
    flow = [_para("Accrued and paid by month", "Heading1")]
    currencies = sorted({row["currency"] for row in series})
    if not currencies:
        return flow + [_para("Nothing posted yet.")]
    for currency in currencies:
        flow += _chart(currency, [row for row in series if row["currency"] == currency])
    return flow


def _summary(report: Report) -> list:
    found = tables.statement_tables(report.content)
    return [_para("Summary", "Heading1"),
            _para("Per agreement, in its currency, what the payer owes the payee: closing = opening + accrued + "
                  "adjustments - paid. Invoiced and approved are for information.", "Italic"),
            *(f for t in found for f in _table(t))]


def _section(report: Report, party: str) -> list:
    flow = [PageBreak(), _para(f"Partner {party}: settlement {report.period}", "Heading1"),
            _para(f"The agreements {party} is a side of and the open items that concern it. "
                  "This section can be printed and sent on its own.", "Italic")]
    for table in section_tables(report.content, party):
        flow += _table(table)
    return flow


def _signatures(report: Report) -> list:
    flow = [PageBreak(), _para("Integrity", "Heading1")]
    if not report.signatures:
        return flow + [_para("This period is open: the statement is not signed yet.")]
    for sig in report.signatures:
        head = sig.get("chain_head") or {}
        flow += [_para(f"Statement {sig['scope']}", "Heading2"),
                 _para(f"SHA-256 digest: {sig['digest']}", _MONO),
                 _para(f"Ed25519 signature: {sig['signature']}", _MONO),
                 _para(f"Key id: {sig.get('key_id')}; public key: {sig['public_key']}", _MONO),
                 _para(f"Journal chain head: entry {head.get('seq')}, {head.get('hash')}", _MONO)]
    flow.append(_para("Check offline: ledger verify-statement FILE --public-key KEY, or the CSV report's "
                      "statement.json and statement.json.sig with openssl (see the README)."))
    return flow


def _footer(label: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(12 * mm, 7 * mm, label)
        canvas.drawRightString(landscape(A4)[0] - 12 * mm, 7 * mm, f"page {doc.page}")
        canvas.restoreState()
    return draw


def render(report: Report) -> bytes:
    content = report.content
    scope = f"partner {report.party}" if report.party else content.get("scope", "all")
    title = f"Settlement statement {report.period}" + (f", partner {report.party}" if report.party else "")
    out = io.BytesIO()
    doc = _Document(out, pagesize=landscape(A4), title=title, author="Returns Ledger",
                    subject=f"Monthly settlement statement, {report.status}, scope {scope}",
                    keywords="settlement statement, returns agreements", creator="Returns Ledger",
                    lang=LANG, displayDocTitle=True,
                    leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=14 * mm)
    flow = [_para(title, "Title"),
            _para(f"Period {report.period} · {report.status} · scope {scope}", "Heading3"),
            Spacer(1, 3 * mm)]
    if report.party:
        flow += [p for p in _section(report, report.party)[1:]]
    else:
        flow += _summary(report) + [PageBreak()] + _charts(report.series)
        for partner in report.partners:
            flow += _section(report, partner)
    flow += _signatures(report)
    footer = _footer(f"{title} · {report.status}")
    doc.build(flow, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
