"""Fiscal-year and quarter reports for a payer with an April year. GB owes AL (GBP): instalments of 100,000.00
(1 March: FY2025), 300,000.00 (1 April) and 250,000.00 (1 May); AL invoices April's, approved (it settles the
obligation: no adjustment), and GB pays it on 20 May. By hand, FY2026 (2026-04 … 2027-03):
opening 100,000.00 + accrued 550,000.00 + adjustments 0.00 − paid 300,000.00 = closing 350,000.00;
FY2025: 0 + 100,000.00 = 100,000.00; Q2 of FY2026 (July–September): 350,000.00 opening and closing.
The budget line (FY2026, 600,000.00 voted): committed 550,000.00, invoiced and paid 300,000.00, 50,000.00 left.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from ledger.invoices import service as invoices
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.journal.service import post_entries
from ledger.money import Money
from tests.api.agreements_helpers import A
from tests.budgets.helpers import april_payer, budget_line, hub_agreement

Y = "/api/v1/reports/fiscal-years"


def arrange(api, admin, officer, parties, session) -> int:
    april_payer(api, admin)
    aid = hub_agreement(api, admin)
    assert budget_line(api, officer, aid, voted="600000.00").status_code == 201
    for period in ("2026-03", "2026-04", "2026-05"):
        assert api.post(f"{A}/{aid}/accrue", json={"period": period}, token=officer).status_code == 200
    invoice = api.post("/api/v1/invoices", json={
        "agreement": "GB-AL-2026-01", "number": "AL-2026-04", "issued_on": "2026-04-10", "due_on": "2026-05-10",
        "currency": "GBP", "period": "2026-04", "total": "300000.00",
        "lines": [{"kind": "instalment", "amount": "300000.00"}]}, token=parties["AL"]).get_json()
    assert api.post(f"/api/v1/invoices/{invoice['id']}/approve", json={"overrides": []},
                    token=officer).status_code == 200
    money = Money.of("300000.00", "GBP")  # the payment, as a match posts it
    post_entries(session, [EntryDraft(date(2026, 5, 20), (
        debit(AccountKey("invoices_payable", "GBP", "AL", "GB", aid), money),
        credit(AccountKey("cash", "GBP", "GB"), money)), "payment", f"test:{invoice['id']}", "paid")])
    invoices.settle(session, invoice["id"], money)
    session.commit()
    return aid


def figures(line):
    return {k: line[k] for k in ("opening", "accrued", "adjustments", "paid", "closing")}


def test_a_fiscal_year_report_keeps_the_statement_identity_per_agreement(api, admin, officer, parties, session):
    aid = arrange(api, admin, officer, parties, session)
    report = api.get(f"{Y}/2026?payer=GB", token=officer)
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert (body["first_period"], body["last_period"], body["fiscal_year_start_month"]) == ("2026-04", "2027-03", 4)
    assert (body["status"], body["months_closed"]) == ("open", [])
    [line] = body["agreements"]
    assert line["agreement_id"] == aid and line["reference"] == "GB-AL-2026-01"
    assert figures(line) == {"opening": "100000.00", "accrued": "550000.00", "adjustments": "0.00",
                             "paid": "300000.00", "closing": "350000.00"}
    months = {m["period"]: figures(m) for m in line["months"]}
    assert len(months) == 12
    assert months["2026-05"] == {"opening": "400000.00", "accrued": "250000.00", "adjustments": "0.00",
                                 "paid": "300000.00", "closing": "350000.00"}
    assert months["2027-03"]["opening"] == months["2027-03"]["closing"] == "350000.00"
    for first, second in zip(line["months"], line["months"][1:]):  # each month opens where the last closed
        assert first["closing"] == second["opening"]
    [budget] = body["budget_lines"]
    assert {k: budget[k] for k in ("voted", "committed", "invoiced", "paid", "available")} == {
        "voted": "600000.00", "committed": "550000.00", "invoiced": "300000.00", "paid": "300000.00",
        "available": "50000.00"}

    earlier = api.get(f"{Y}/2025?payer=GB", token=officer).get_json()
    assert figures(earlier["agreements"][0]) == {"opening": "0.00", "accrued": "100000.00", "adjustments": "0.00",
                                                 "paid": "0.00", "closing": "100000.00"}
    assert earlier["budget_lines"] == []
    q2 = api.get(f"{Y}/2026?payer=GB&quarter=2", token=officer).get_json()
    assert (q2["first_period"], q2["last_period"]) == ("2026-07", "2026-09")
    assert figures(q2["agreements"][0]) == {"opening": "350000.00", "accrued": "0.00", "adjustments": "0.00",
                                            "paid": "0.00", "closing": "350000.00"}
    assert api.get(f"{Y}/2026?payer=AL", token=officer).get_json()["agreements"] == []  # AL pays nothing


def test_a_quarter_is_closed_once_its_three_months_are(api, admin, officer, parties, session):
    arrange(api, admin, officer, parties, session)
    for period in ("2026-03", "2026-04", "2026-05", "2026-06"):
        assert api.post(f"/api/v1/settlements/{period}/close", token=officer).status_code == 200
    q1 = api.get(f"{Y}/2026?payer=GB&quarter=1", token=officer).get_json()
    assert (q1["status"], q1["months_closed"]) == ("closed", ["2026-04", "2026-05", "2026-06"])
    assert api.get(f"{Y}/2026?payer=GB", token=officer).get_json()["status"] == "open"


def test_the_year_report_as_csv_and_xlsx_holds_the_same_figures(api, admin, officer, parties, session):
    arrange(api, admin, officer, parties, session)
    response = api.get(f"{Y}/2026?payer=GB&format=csv", token=officer)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 13
    year = rows[0]
    assert (year["span"], year["opening"], year["accrued"], year["paid"], year["closing"]) == (
        "FY2026", "100000.00", "550000.00", "300000.00", "350000.00")
    budget = list(csv.DictReader(io.StringIO(
        api.get(f"{Y}/2026?payer=GB&format=csv&table=budget_lines", token=officer).get_data(as_text=True))))
    assert (budget[0]["committed"], budget[0]["available"]) == ("550000.00", "50000.00")

    book = load_workbook(io.BytesIO(api.get(f"{Y}/2026?payer=GB&format=xlsx", token=officer).get_data()))
    sheet = book["Agreements"]
    header = [c.value for c in sheet[1]]
    closing = sheet.cell(row=2, column=header.index("Closing") + 1)
    assert closing.value == Decimal("350000.00") or closing.value == 350000
    assert closing.number_format == "#,##0.00"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert book["Budget execution"].cell(row=2, column=7).value in (Decimal("550000"), 550000)


def _pdf_text(pdf: bytes) -> str:
    """The page content: ReportLab writes its streams ASCII85-encoded and deflated (images and fonts skipped)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>"))).decode("latin-1"))
        except (ValueError, zlib.error):
            continue
    return "\n".join(texts)


def test_the_year_report_as_pdf_prints_the_figures_with_separators(api, admin, officer, parties, session):
    arrange(api, admin, officer, parties, session)
    response = api.get(f"{Y}/2026?payer=GB&format=pdf", token=officer)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.get_data())
    for figure in ("100,000.00", "550,000.00", "300,000.00", "350,000.00", "600,000.00", "50,000.00"):
        assert f"({figure})" in text, figure
    assert "(GB FY2026: agreements and budget execution)" in text


def test_a_bad_year_or_quarter_is_refused(api, officer, parties):
    assert api.get(f"{Y}/2026?payer=GB&quarter=5", token=officer).status_code == 422
    assert api.get(f"{Y}/12?payer=GB", token=officer).status_code == 422
    assert api.get(f"{Y}/2026?payer=ZZ", token=officer).status_code == 422
    assert api.get(f"{Y}/2026?payer=GB&format=doc", token=officer).status_code == 422
