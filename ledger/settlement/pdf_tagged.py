"""The settlement PDF drawn by WeasyPrint as PDF/UA-1: a tagged PDF (see `pdf`).

The document is built as HTML with a print stylesheet: `<html lang>` gives the PDF its `/Lang`, `<title>` its
title (shown in the viewer's title bar), the headings H1–H3 its structure and its outline, each table a `<thead>`
of `<th scope="col">` cells (tagged TH, repeated on every page), each chart an inline SVG whose `<title>` is the
Figure's alternative text. Everything that comes from data is escaped: partner text is shown as the text it is,
and nothing is ever fetched (no URL, no file).
"""

from __future__ import annotations

from html import escape

from ledger.settlement import pdf

_CSS = """
@page { size: A4 landscape; margin: 12mm 12mm 14mm 12mm;
  @bottom-left { content: %(footer)s; font: 7pt "DejaVu Sans", sans-serif; }
  @bottom-right { content: "page " counter(page); font: 7pt "DejaVu Sans", sans-serif; } }
body { font: 9pt/1.3 "DejaVu Sans", sans-serif; color: #000; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 5mm 0 2mm; }
h3 { font-size: 10.5pt; margin: 4mm 0 1.5mm; break-after: avoid; }
h1, h2 { bookmark-level: 1; }
h3 { bookmark-level: 2; }
section.new-page { break-before: page; }
section > h2:first-child { margin-top: 0; }
p { margin: 0 0 2mm; }
p.subtitle { font-size: 11pt; font-weight: bold; margin-bottom: 4mm; }
p.note { font-style: italic; }
p.code { font: 7pt/1.25 "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 7.5pt; margin-bottom: 3mm; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: 1mm; }
th { font-weight: bold; text-align: left; vertical-align: bottom; border-bottom: 0.8pt solid #000; }
th, td { padding: 0.6mm 2mm; }
td { vertical-align: top; overflow-wrap: anywhere; }
tbody tr:nth-child(even) td { background: #f0f0f0; }
.num { text-align: right; white-space: nowrap; }
div.chart { break-inside: avoid; }  /* the chart with its figures */
div.chart svg { display: block; width: 273mm; height: 62mm; }
"""

# The chart's drawing area in SVG units (1000 wide, as wide as the page's text).
_W, _H, _LEFT, _TOP, _BOTTOM, _RIGHT = 1000, 228, 80, 28, 198, 990


def _css_string(text: str) -> str:
    """A CSS string literal for any text: everything but ASCII letters, digits and spaces as a hex escape (a space ends
    each escape)."""
    return '"' + "".join(c if (c.isascii() and c.isalnum()) or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def _e(text) -> str:
    return escape(str(text), quote=True)


def _grid(grid: pdf.Grid) -> str:
    table = grid.table
    head = f"<h3>{_e(table.title)}</h3>" if grid.titled else ""
    if not table.rows:
        return head + "<p>None.</p>"
    kinds = ["num" if pdf.numeric(c.kind) else "text" for c in table.columns]
    caption = "" if grid.titled else f"<caption>{_e(table.title)}</caption>"
    headers = "".join(f'<th scope="col" class="{k}">{_e(c.header)}</th>' for c, k in zip(table.columns, kinds))
    body = "".join("<tr>" + "".join(f'<td class="{k}">{_e(v)}</td>' for v, k in zip(row, kinds)) + "</tr>"
                   for row in pdf.rows_of(table))
    return f"{head}<table>{caption}<thead><tr>{headers}</tr></thead><tbody>{body}</tbody></table>"


def _ticks(low: int, high: int) -> list[int]:
    """Round values (1, 2 or 5 times a power of ten apart, at most five steps) from `low` to at least `high`."""
    span = max(high - low, 1)
    step = next(m * 10 ** p for p in range(40) for m in (1, 2, 5) if span / (m * 10 ** p) <= 5)
    first, last = (low // step) * step, -(-high // step) * step
    return list(range(first, max(last, first + step) + 1, step))


def _svg(chart: pdf.Chart) -> str:
    low, high = min(0, *chart.accrued, *chart.paid), max(0, *chart.accrued, *chart.paid)
    ticks = _ticks(low, high)
    bottom, top = ticks[0], ticks[-1]
    scale = (_BOTTOM - _TOP) / max(top - bottom, 1)

    def y(value: int) -> float:
        return round(_BOTTOM - (value - bottom) * scale, 2)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img">'
             f"<title>{_e(chart.alt)}</title>",
             '<g font-family="DejaVu Sans, sans-serif" font-size="9" fill="#000">']
    for tick in ticks:
        parts.append(f'<line x1="{_LEFT}" x2="{_RIGHT}" y1="{y(tick)}" y2="{y(tick)}" stroke="#ccc" '
                     'stroke-width="0.6"/>'
                     f'<text x="{_LEFT - 6}" y="{y(tick) + 3}" text-anchor="end">{tick:,}</text>')
    slot = (_RIGHT - _LEFT) / max(len(chart.months), 1)
    bar = slot * 0.36
    for index, month in enumerate(chart.months):
        x = _LEFT + index * slot + slot * 0.14
        for offset, (value, colour) in enumerate(((chart.accrued[index], pdf.ACCRUED), (chart.paid[index], pdf.PAID))):
            y0, y1 = sorted((y(0), y(value)))
            parts.append(f'<rect x="{round(x + offset * bar, 2)}" y="{y0}" width="{round(bar, 2)}" '
                         f'height="{round(max(y1 - y0, 0.01), 2)}" fill="{colour}"/>')
        parts.append(f'<text x="{round(_LEFT + (index + 0.5) * slot, 2)}" y="{_BOTTOM + 14}" '
                     f'text-anchor="middle">{_e(month)}</text>')
    parts.append(f'<line x1="{_LEFT}" x2="{_RIGHT}" y1="{y(0)}" y2="{y(0)}" stroke="#000" stroke-width="0.8"/>')
    for index, (label, colour) in enumerate(zip(pdf.LEGEND, (pdf.ACCRUED, pdf.PAID))):
        x = _LEFT + index * 190
        parts.append(f'<rect x="{x}" y="4" width="12" height="10" fill="{colour}"/>'
                     f'<text x="{x + 18}" y="13" font-size="10">{_e(label)}</text>')
    parts.append("</g></svg>")
    return f'<div class="chart"><h3>{_e(chart.heading)}</h3>{"".join(parts)}{_grid(chart.figures)}</div>'


def _block(block) -> str:
    if isinstance(block, pdf.Heading):
        tag = "h2" if block.level == 1 else "h3"
        return f"<{tag}>{_e(block.text)}</{tag}>"
    if isinstance(block, pdf.Text):
        return f'<p class="{block.style}">{_e(block.text)}</p>'
    if isinstance(block, pdf.Grid):
        return _grid(block)
    return _svg(block)


def html(printout: pdf.Printout) -> str:
    """The whole document as HTML (what WeasyPrint lays out)."""
    meta = "".join(f'<meta name="{name}" content="{_e(value)}">' for name, value in
                   (("author", pdf.AUTHOR), ("description", printout.subject), ("keywords", pdf.KEYWORDS),
                    ("generator", pdf.AUTHOR)))
    body = "".join(f'<section class="{"new-page" if part.new_page else "part"}">'
                   + "".join(_block(b) for b in part.blocks) + "</section>" for part in printout.parts)
    return (f'<!DOCTYPE html><html lang="{pdf.LANG}"><head><meta charset="utf-8"><title>{_e(printout.title)}</title>'
            f"{meta}<style>{_CSS % {'footer': _css_string(printout.footer)}}</style></head><body>"
            f'<h1>{_e(printout.title)}</h1><p class="subtitle">{_e(printout.subtitle)}</p>{body}</body></html>')


def draw(printout: pdf.Printout, weasyprint) -> bytes:
    # The document names no resource: a fetcher allowing no protocol makes sure nothing is ever read.
    document = weasyprint.HTML(string=html(printout), url_fetcher=weasyprint.URLFetcher(allowed_protocols=()))
    return document.write_pdf(pdf_variant="pdf/ua-1")
