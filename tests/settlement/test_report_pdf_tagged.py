"""The settlement PDF is tagged (PDF/UA-1, drawn by WeasyPrint) where WeasyPrint loads, and says so; where it
cannot load (no pango), the same report comes from ReportLab, untagged, and says that instead.

Under CI (`CI=true`) WeasyPrint must load: the tagged test fails rather than skips there."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader
from pypdf.generic import BooleanObject
from structlog.testing import capture_logs

from ledger.settlement import pdf
from ledger.settlement.reports import Report
from tests.settlement.test_settlement import books  # noqa: F401 (the fixture)

LINE = {"agreement_id": 7, "reference": "GB-AL <2026> & co", "payer": "GB", "payee": "AL", "currency": "GBP",
        "opening": "-1500000.00", "accrued": "12345.50", "adjustments": "-1.00", "invoiced": "0.00",
        "approved": "0.00", "paid": "2000.00", "closing": "-1489655.50"}
SERIES = [{"period": f"2026-{m:02d}", "currency": "GBP", "accrued": f"{1000 * m}.50", "paid": f"{900 * m}.00"}
          for m in range(1, 5)]


def _report(party: str | None = None) -> Report:
    content = {"period": "2026-04", "scope": "all", "agreements": [LINE], "open_items": {}}
    return Report("2026-04", "open", content, party=party, series=SERIES)


def _needs_weasyprint() -> None:
    if pdf.tagged():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("WeasyPrint cannot load on this CI runner (is the system library pango installed?): "
                    "the settlement PDF would go out untagged")
    pytest.skip("WeasyPrint cannot load here (the system library pango is missing): the settlement PDF falls back "
                "to ReportLab, untagged; install pango (libpango-1.0-0) to run this test")


def _structure(node, found: list) -> list:
    """Every structure element under `node`, depth first."""
    node = node.get_object()
    if "/S" in node:
        found.append(node)
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict) and "/MCID" not in kid.get_object():
            _structure(kid, found)
    return found


def test_the_weasyprint_pdf_is_tagged():
    _needs_weasyprint()
    report = _report()
    reader = PdfReader(io.BytesIO(pdf.render(report)))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == "Settlement statement 2026-04" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    elements = _structure(root["/StructTreeRoot"], [])
    kinds = [e["/S"] for e in elements]
    assert {"/Document", "/H1", "/H2", "/H3", "/Table", "/THead", "/TBody", "/TR", "/TD", "/Figure"} <= set(kinds)
    # every header cell of every table (the summary's, each partner section's, the chart's figures) is a TH,
    # and each data cell names the headers of its column
    printout = pdf.printout(report)
    grids = [b.figures if isinstance(b, pdf.Chart) else b for part in printout.parts for b in part.blocks]
    columns = sum(len(g.table.columns) for g in grids if isinstance(g, pdf.Grid) and g.table.rows)
    headers = [e for e in elements if e["/S"] == "/TH"]
    assert len(headers) == columns > 0
    ids = {h["/ID"] for h in headers}
    cells = [e for e in elements if e["/S"] == "/TD"]
    assert cells and all(set(c["/A"]["/Headers"]) <= ids and c["/A"]["/Headers"] for c in cells)
    charts = [e for e in elements if e["/S"] == "/Figure"]
    assert [c["/Alt"] for c in charts] == [b.alt for b in printout.parts[1].blocks if isinstance(b, pdf.Chart)]
    assert "GBP" in charts[0]["/Alt"] and "2026-01 to 2026-04" in charts[0]["/Alt"]
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline == ["Settlement statement 2026-04", "Summary", "Accrued and paid by month",
                       "Partner AL: settlement 2026-04", "Partner GB: settlement 2026-04", "Integrity"]
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "GB-AL <2026> & co" in text and "-1,489,655.50" in text and "12,345.50" in text


def test_a_partners_section_alone_is_tagged_too():
    _needs_weasyprint()
    reader = PdfReader(io.BytesIO(pdf.render(_report(party="AL"))))
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert [item.title for item in reader.outline if not isinstance(item, list)] == \
        ["Settlement statement 2026-04, partner AL", "Partner AL: settlement 2026-04", "Integrity"]


def test_the_api_says_the_pdf_is_tagged(api, officer, books):  # noqa: F811
    _needs_weasyprint()
    response = api.get("/api/v1/settlements/2026-04/report?format=pdf", token=officer)
    assert response.status_code == 200 and response.headers["X-PDF-Tagged"] == "true"
    assert "/StructTreeRoot" in PdfReader(io.BytesIO(response.get_data())).trailer["/Root"]
    assert "X-PDF-Tagged" not in api.get("/api/v1/settlements/2026-04/report?format=csv", token=officer).headers


@pytest.fixture
def no_weasyprint(monkeypatch):
    """A machine without pango: importing WeasyPrint fails the way cffi fails to open the library."""
    def fail():
        raise OSError("cannot load library 'libgobject-2.0-0'")
    monkeypatch.setattr(pdf, "_import_weasyprint", fail)
    pdf._engine.cache_clear()
    yield
    pdf._engine.cache_clear()


def test_without_weasyprint_the_reportlab_pdf_still_renders_untagged(api, officer, books, no_weasyprint):  # noqa: F811
    with capture_logs() as logs:
        response = api.get("/api/v1/settlements/2026-04/report?format=pdf", token=officer)
        again = api.get("/api/v1/settlements/2026-04/report?format=pdf&party=AL", token=officer)
    assert response.status_code == again.status_code == 200
    assert response.headers["X-PDF-Tagged"] == again.headers["X-PDF-Tagged"] == "false"
    warnings = [e for e in logs if e["event"] == "pdf.untagged"]
    assert len(warnings) == 1 and warnings[0]["log_level"] == "warning" and warnings[0]["error"] == "OSError"
    reader = PdfReader(io.BytesIO(response.get_data()))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" not in root and root["/Lang"] == "en-GB"
    assert reader.metadata.title == "Settlement statement 2026-04" and reader.metadata.producer.startswith("ReportLab")
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert {"Summary", "Accrued and paid by month", "Integrity"} <= set(outline)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Accrued and paid by month, GBP" in text and "20,000.00" in text
    section = PdfReader(io.BytesIO(again.get_data()))
    assert "/StructTreeRoot" not in section.trailer["/Root"]
    assert [item.title for item in section.outline if not isinstance(item, list)] == \
        ["Settlement statement 2026-04, partner AL", "Partner AL: settlement 2026-04", "Integrity"]


def test_the_fallback_draws_the_same_printout():
    """Both renderers draw one `printout`: the ReportLab PDF carries the same words as the tagged one."""
    printout = pdf.printout(_report())
    from ledger.settlement import pdf_untagged

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_untagged.draw(printout))).pages)
    for line in [printout.title, "Summary", "Partner GB: settlement 2026-04", "-1,500,000.00", "-1,489,655.50",
                 "GB-AL <2026> & co", "Accrued and paid by month, GBP"]:
        assert line in text
