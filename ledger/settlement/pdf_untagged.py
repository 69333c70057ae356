"""The settlement PDF drawn by ReportLab: the fallback where WeasyPrint cannot load (see `pdf`).

The document has a title shown in the viewer's title bar, a language (`/Lang`), author, subject and keywords;
every heading is a bookmark in the outline, nested by level; tables repeat their header row on each page;
amounts carry thousands separators and a plain minus. ReportLab (the open source edition) writes no structure
tree: this PDF is not tagged (no `/StructTreeRoot`, no `/MarkInfo`), so a screen reader gets the text in drawing
order, and the charts have no alternative text of their own (the table after each chart carries its figures).
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

from ledger.settlement import pdf

_STYLES = getSampleStyleSheet()
_CELL = ParagraphStyle("cell", parent=_STYLES["BodyText"], fontName="Helvetica", fontSize=7.5, leading=9)
_TEXT = {"body": _STYLES["BodyText"], "note": _STYLES["Italic"],
         "code": ParagraphStyle("mono", parent=_STYLES["Code"], fontSize=7, leading=8.5)}
_HEADINGS = {"Title": 0, "Heading1": 0, "Heading2": 1, "Heading3": 2}
_WRAP_AT = 28  # text cells longer than this wrap inside their column


def _para(text: str, style) -> Paragraph:
    """ReportLab parses a Paragraph as markup, so partner text (a dispute reason, an invoice number) must never
    reach it raw — `<img src=…>` would embed a server file or fail the whole PDF, `<a href=…>` would become a
    live link."""
    return Paragraph(escape(str(text)), _STYLES[style] if isinstance(style, str) else style)


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


def _grid(grid: pdf.Grid) -> list:
    """A table (with its title unless it is a chart's figures); an empty one says so in words."""
    table = grid.table
    flow = [CondPageBreak(25 * mm), _para(table.title, "Heading2")] if grid.titled else []
    if not table.rows:
        return flow + [_para("None.", "BodyText")]
    rows = [[c.header for c in table.columns]]
    rows += [[_para(text, _CELL) if len(text) > _WRAP_AT and not pdf.numeric(c.kind) else text
              for text, c in zip(row, table.columns)] for row in pdf.rows_of(table)]
    grid_ = Table(rows, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 7.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f0f0f0")]),
    ]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i, c in enumerate(table.columns) if pdf.numeric(c.kind)]
    grid_.setStyle(TableStyle(style))
    return flow + [grid_]


def _chart(chart: pdf.Chart) -> list:
    drawing = Drawing(250 * mm, 62 * mm)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 28 * mm, 8 * mm, 215 * mm, 48 * mm
    bars.data = [chart.accrued, chart.paid]
    bars.categoryAxis.categoryNames = chart.months
    bars.valueAxis.valueMin = min(0, *chart.accrued, *chart.paid)
    bars.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    bars.valueAxis.labels.fontSize = 7
    bars.categoryAxis.labels.fontSize = 7
    bars.bars[0].fillColor, bars.bars[1].fillColor = colors.HexColor(pdf.ACCRUED), colors.HexColor(pdf.PAID)
    drawing.add(bars)
    legend = Legend()
    legend.x, legend.y, legend.alignment = 30 * mm, 61 * mm, "right"  # swatch, then its words
    legend.columnMaximum, legend.deltax, legend.dxTextSpace, legend.fontSize = 1, 45 * mm, 2 * mm, 8
    legend.colorNamePairs = [(colors.HexColor(pdf.ACCRUED), pdf.LEGEND[0]), (colors.HexColor(pdf.PAID), pdf.LEGEND[1])]
    drawing.add(legend)
    return [KeepTogether([_para(chart.heading, "Heading2"), drawing]), *_grid(chart.figures)]


def _block(block) -> list:
    if isinstance(block, pdf.Heading):
        return [_para(block.text, "Heading1" if block.level == 1 else "Heading2")]
    if isinstance(block, pdf.Text):
        return [_para(block.text, _TEXT[block.style])]
    if isinstance(block, pdf.Grid):
        return _grid(block)
    return _chart(block)


def _footer(label: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(12 * mm, 7 * mm, label)
        canvas.drawRightString(landscape(A4)[0] - 12 * mm, 7 * mm, f"page {doc.page}")
        canvas.restoreState()
    return draw


def draw(printout: pdf.Printout) -> bytes:
    out = io.BytesIO()
    doc = _Document(out, pagesize=landscape(A4), title=printout.title, author=pdf.AUTHOR, subject=printout.subject,
                    keywords=pdf.KEYWORDS, creator=pdf.AUTHOR, lang=pdf.LANG, displayDocTitle=True,
                    leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=14 * mm)
    flow = [_para(printout.title, "Title"), _para(printout.subtitle, "Heading3"), Spacer(1, 3 * mm)]
    for part in printout.parts:
        flow += [PageBreak()] if part.new_page else []
        flow += [f for block in part.blocks for f in _block(block)]
    footer = _footer(printout.footer)
    doc.build(flow, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
