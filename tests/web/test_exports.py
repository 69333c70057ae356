"""Every list exports what it shows as CSV: the same filters (kept in the URL) and order, every page of it, the
columns as shown; a cell a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re

import pytest

from tests.conftest import make_party
from tests.web.conftest import html

LISTS = ["/agreements", "/returnees?status=accepted", "/invoices", "/statements", "/settlement?status=open",
         "/claims", "/parties", "/accounts?currency=GBP", "/journal", "/reconciliation"]


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.parametrize("path", LISTS)
def test_each_list_exports_the_rows_it_shows(demo, officer_browser, path):
    page = html(officer_browser.get(path))
    start = page.index('<nav class="pager"')
    pager = page[start:page.index("</nav>", start)]  # the first table's pager: its count and its export
    link = re.search(r'<a href="([^"]+)" download>Export CSV', pager)
    assert link, f"{path} offers no export"
    url = html_lib.unescape(link.group(1))
    if "?" in path:
        assert path.split("?", 1)[1] in url  # the filter stays in the URL, and in the export
    total = re.search(r"Rows 1–\d+ of (\d+)|No rows", pager)
    rows = _rows(officer_browser.get(url))
    assert len(rows) - 1 == (int(total.group(1)) if total.group(1) else 0)
    if "<thead>" in page[:start]:  # a table (the reconciliation queue shows its proposals as cards)
        thead = page[page.rindex("<thead>", 0, start):start]
        headings = [h.strip() for h in re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<▲▼]+)', thead)]
        assert [h for h in rows[0] if not h.endswith("(currency)")] == headings


def test_a_name_that_would_run_as_a_formula_is_exported_as_text(officer_browser, api, admin):
    make_party(api, admin, "MT", name="=HYPERLINK(\"http://x.example\",\"click\")")
    rows = _rows(officer_browser.get("/parties?export=csv&q=MT"))
    assert rows[1][:2] == ["MT", "'=HYPERLINK(\"http://x.example\",\"click\")"]


def test_the_second_table_on_a_page_exports_its_own_rows(demo, officer_browser):
    page = html(officer_browser.get("/reconciliation"))
    links = [html_lib.unescape(u) for u in re.findall(r'<a href="([^"]+)" download>Export CSV', page)]
    assert any("t_export=csv" in u for u in links), links
