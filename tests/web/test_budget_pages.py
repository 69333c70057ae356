"""The budget execution page on the demo ledger, and the year report it links to."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from ledger.budgets import fiscal
from ledger.timeutil import today
from tests.web.conftest import html


def test_the_budget_page_shows_each_lines_execution_and_serves_the_year_report(demo, auditor_browser):
    year = today().year  # Italy's fiscal year is the calendar year
    page = auditor_browser.get(f"/budgets?fiscal_year={year}")
    assert page.status_code == 200
    text = html(page)
    assert "IT-AL-DEMO-01" in text and "Budget execution, FY" in text
    assert 'href="/budgets"' in text  # the navigation entry
    report = auditor_browser.get(f"/budgets/reports/{year}?payer=IT&format=csv")
    assert report.status_code == 200
    rows = list(csv.DictReader(io.StringIO(report.get_data(as_text=True))))
    year_row = next(r for r in rows if r["reference"] == "IT-AL-DEMO-01" and r["span"] == f"FY{year}")
    assert Decimal(year_row["closing"]) == (Decimal(year_row["opening"]) + Decimal(year_row["accrued"])
                                            + Decimal(year_row["adjustments"]) - Decimal(year_row["paid"]))


def test_the_uk_line_sits_in_its_april_year(demo, officer_browser):
    uk_year = fiscal.fiscal_year_of(today(), 4)
    text = html(officer_browser.get(f"/budgets?fiscal_year={uk_year}"))
    assert "GB-RW-DEMO-01" in text
