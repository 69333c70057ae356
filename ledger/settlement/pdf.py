"""The PDF report: A4 landscape, for a minister to sign and a partner to check.

A title block; the summary (agreements and party totals); one chart per currency of accrued against paid by
month, each followed by its figures as a table; the open items and EU sections as tables; then one section
per partner, each starting on a new page so it can be printed and sent alone (`?party=` gives only that
section); the digests and signatures last.

This module decides *what* the PDF says (`printout`: parts, headings, tables, charts, the metadata); two
renderers draw it:

- `pdf_tagged` (WeasyPrint, PDF/UA-1): a tagged PDF with a structure tree — headings H1–H3, tables with TH
  header cells bound to their columns, each chart a Figure whose alternative text says what it shows — plus
  title, language and an outline of the headings. A screen reader follows the document, not the drawing order.
- `pdf_untagged` (ReportLab): the fallback where WeasyPrint cannot load (it needs the system library pango).
  Same content, title, language and outline, but no structure tree.

`tagged()` says which one a download got (the views send it as the `X-PDF-Tagged` header).
"""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from ledger.settlement import tables
from ledger.settlement.reports import Report, figure, section_tables
from ledger.settlement.tables import AMOUNT, COUNT, NUMBER, ReportTable

log = structlog.get_logger("ledger.settlement.pdf")

LANG = "en-GB"
AUTHOR = "Returns Ledger"
KEYWORDS = "settlement statement, returns agreements"
ACCRUED, PAID = "#2f5597", "#b8860b"  # the chart's two series: distinct also in greyscale
LEGEND = ("accrued + adjustments", "paid")


# ---- what the PDF says -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1: a part of the document (top of the outline); 2: a table or a chart within it


@dataclass(frozen=True)
class Text:
    text: str
    style: str = "body"  # "body", "note" (an explanation, set in italics), "code" (a digest: monospaced)


@dataclass(frozen=True)
class Grid:
    """A table under its own heading (`titled`), or, under a chart, the chart's figures (its title a caption)."""

    table: ReportTable
    titled: bool = True


@dataclass(frozen=True)
class Chart:
    """Accrued against paid per month in one currency; bars in whole units, the exact figures in `figures` (the
    table drawn under the chart: its words)."""

    heading: str
    alt: str
    months: list[str]
    accrued: list[int]
    paid: list[int]
    figures: Grid


@dataclass
class Part:
    blocks: list
    new_page: bool = True


@dataclass
class Printout:
    title: str
    subtitle: str
    subject: str
    footer: str
    parts: list[Part] = field(default_factory=list)


def numeric(kind: str) -> bool:
    return kind in (AMOUNT, COUNT, NUMBER)


def cell(value, kind: str, currency: str | None) -> str:
    """A table cell as printed: amounts with thousands separators and the currency's minor units."""
    if value is None or value == "":
        return ""
    if kind == AMOUNT:
        return figure(value, currency)
    return str(value)


def rows_of(table: ReportTable) -> list[list[str]]:
    return [[cell(row.get(c.key), c.kind, row.get("currency")) for c in table.columns] for row in table.rows]


def _chart(currency: str, rows: list[dict]) -> Chart:
    heading = f"Accrued and paid by month, {currency}"
    months = [r["period"] for r in rows]
    accrued = [Decimal(str(r["accrued"])) for r in rows]
    top = max(range(len(rows)), key=lambda i: accrued[i])
    alt = (f"Bar chart: {LEGEND[0]} against {LEGEND[1]} per month in {currency}, {months[0]} to {months[-1]}; "
           f"the most accrued in {months[top]}: {figure(rows[top]['accrued'], currency)}. "
           "The table after the chart gives every figure.")
    figures = ReportTable(f"series_{currency}", f"{heading}: the figures",
                          [tables.Col("period", "Month"), tables.Col("currency", "Currency"),
                           tables.Col("accrued", "Accrued + adjustments", AMOUNT), tables.Col("paid", "Paid", AMOUNT)],
                          rows)
    # Bars need whole currency units only; the exact figures are in the table under the chart.
    return Chart(heading, alt, months, [int(a) for a in accrued], [int(Decimal(str(r["paid"]))) for r in rows],
                 Grid(figures, titled=False))


def _charts(series: list[dict]) -> Part:
    blocks: list = [Heading("Accrued and paid by month", 1)]
    currencies = sorted({row["currency"] for row in series})
    if not currencies:
        return Part(blocks + [Text("Nothing posted yet.")])
    for currency in currencies:
        blocks.append(_chart(currency, [row for row in series if row["currency"] == currency]))
    return Part(blocks)


def _summary(report: Report) -> Part:
    return Part([Heading("Summary", 1),
                 Text("Per agreement, in its currency, what the payer owes the payee: closing = opening + accrued + "
                      "adjustments - paid. Invoiced and approved are for information.", "note"),
                 *(Grid(t) for t in tables.statement_tables(report.content))], new_page=False)


def _section(report: Report, party: str) -> Part:
    return Part([Heading(f"Partner {party}: settlement {report.period}", 1),
                 Text(f"The agreements {party} is a side of and the open items that concern it. "
                      "This section can be printed and sent on its own.", "note"),
                 *(Grid(t) for t in section_tables(report.content, party))], new_page=not report.party)


def _signatures(report: Report) -> Part:
    blocks: list = [Heading("Integrity", 1)]
    if not report.signatures:
        return Part(blocks + [Text("This period is open: the statement is not signed yet.")])
    for sig in report.signatures:
        head = sig.get("chain_head") or {}
        blocks += [Heading(f"Statement {sig['scope']}", 2),
                   Text(f"SHA-256 digest: {sig['digest']}", "code"),
                   Text(f"Ed25519 signature: {sig['signature']}", "code"),
                   Text(f"Key id: {sig.get('key_id')}; public key: {sig['public_key']}", "code"),
                   Text(f"Journal chain head: entry {head.get('seq')}, {head.get('hash')}", "code")]
    blocks.append(Text("Check offline: ledger verify-statement FILE --public-key KEY, or the CSV report's "
                       "statement.json and statement.json.sig with openssl (see the README)."))
    return Part(blocks)


def printout(report: Report) -> Printout:
    """Everything the PDF shows, in order, whichever renderer draws it."""
    scope = f"partner {report.party}" if report.party else report.content.get("scope", "all")
    title = f"Settlement statement {report.period}" + (f", partner {report.party}" if report.party else "")
    out = Printout(title, f"Period {report.period} · {report.status} · scope {scope}",
                   f"Monthly settlement statement, {report.status}, scope {scope}", f"{title} · {report.status}")
    if report.party:
        out.parts.append(_section(report, report.party))
    else:
        out.parts += [_summary(report), _charts(report.series),
                      *(_section(report, partner) for partner in report.partners)]
    out.parts.append(_signatures(report))
    return out


# ---- which renderer ----------------------------------------------------------------------------------------

def _import_weasyprint():
    # WeasyPrint reports each layout step and fontTools each subsetting step at INFO, some 170 lines per report;
    # their warnings (a resource refused, a figure without alternative text) still reach the log.
    for chatty in ("weasyprint.progress", "fontTools"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # WeasyPrint 70 warns at import where libharfbuzz-subset is missing (it subsets fonts with fontTools
        # then): a notice about its future versions, not about this PDF; the image installs the library.
        warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
        import weasyprint

    return weasyprint


@functools.cache
def _engine():
    """WeasyPrint, or None where it cannot load (not installed, or the system library pango is missing):
    imported on the first PDF, not at start-up, and the reason logged once."""
    try:
        return _import_weasyprint()
    except (OSError, ImportError) as exc:
        log.warning("pdf.untagged", reason="weasyprint cannot load; the PDF report falls back to ReportLab, "
                    "without a structure tree", error=type(exc).__name__)
        return None


def tagged() -> bool:
    """Whether `render` writes a tagged PDF (PDF/UA-1) on this machine."""
    return _engine() is not None


def render(report: Report) -> bytes:
    content = printout(report)
    engine = _engine()
    if engine is None:
        from ledger.settlement.pdf_untagged import draw

        return draw(content)
    from ledger.settlement.pdf_tagged import draw

    return draw(content, engine)
