"""Budget lines through the API: commitments at accrual, refusal or a second officer's approval, revisions,
invoices consuming and payments paying. Figures by hand from `helpers.TERMS` (an April fiscal year: March is
FY2025, April and May are FY2026)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ledger.agreements.models import Obligation
from ledger.invoices import service as invoices
from ledger.money import Money
from tests.api.agreements_helpers import A
from tests.budgets.helpers import B, april_payer, budget_line, execution, hub_agreement


def _accrue(api, token, aid, period):
    return api.post(f"{A}/{aid}/accrue", json={"period": period}, token=token)


def test_a_parties_fiscal_year_and_reporting_currency_are_kept(api, admin, parties):
    party = april_payer(api, admin, reporting_currency="GBP")
    assert (party["fiscal_year_start_month"], party["reporting_currency"]) == (4, "GBP")
    again = api.put("/api/v1/parties/GB", json={"name": "United Kingdom"}, token=admin).get_json()
    assert (again["fiscal_year_start_month"], again["reporting_currency"]) == (4, "GBP")  # a PUT without them
    assert api.get("/api/v1/parties/AL", token=admin).get_json()["fiscal_year_start_month"] == 1


def test_a_fiscal_year_start_that_is_not_a_month_is_refused_naming_the_field(api, admin, parties):
    for bad in (0, 13, "4", 4.5):
        response = api.put("/api/v1/parties/GB", json={"name": "GB", "fiscal_year_start_month": bad}, token=admin)
        assert response.status_code == 422, bad
        assert "fiscal_year_start_month" in response.get_json()["errors"]
    assert api.get("/api/v1/parties/GB", token=admin).get_json()["fiscal_year_start_month"] == 1


def test_commitments_follow_the_payers_fiscal_year_and_a_refused_one_stores_nothing(api, admin, officer, parties,
                                                                                  session):
    april_payer(api, admin)
    aid = hub_agreement(api, admin)
    line = budget_line(api, officer, aid).get_json()
    assert _accrue(api, officer, aid, "2026-03").status_code == 200  # FY2025: not this line's year
    assert execution(api, officer, line["id"]) == {"voted": "500000.00", "committed": "0.00", "invoiced": "0.00",
                                                   "paid": "0.00", "available": "500000.00"}
    assert _accrue(api, officer, aid, "2026-04").get_json()["posted"] == 1
    assert execution(api, officer, line["id"])["available"] == "200000.00"

    # May's 250,000.00 would make 550,000.00 of 500,000.00: refused, 50,000.00 beyond, nothing stored
    refused = _accrue(api, officer, aid, "2026-05")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "budget_exceeded" and body["excess"] == "50000.00" and body["requested"] == "250000.00"
    assert "budget_line" in body["errors"]
    session.expire_all()
    assert not session.execute(select(Obligation).where(Obligation.agreement_id == aid,
                                                        Obligation.period == "2026-05")).first()

    # a cut below what is committed is refused; a supplementary estimate lets May through
    cut = api.post(f"{B}/{line['id']}/revisions", json={"amount": "-200000.01", "reason": "cut"}, token=officer)
    assert cut.status_code == 422 and cut.get_json()["code"] == "budget_exceeded"
    assert "amount" in cut.get_json()["errors"]
    more = api.post(f"{B}/{line['id']}/revisions", json={"amount": "50000.00", "reason": "supplementary estimate"},
                    token=officer)
    assert more.status_code == 201 and more.get_json()["execution"]["voted"] == "550000.00"
    assert _accrue(api, officer, aid, "2026-05").get_json()["posted"] == 1
    assert execution(api, officer, line["id"]) == {"voted": "550000.00", "committed": "550000.00",
                                                   "invoiced": "0.00", "paid": "0.00", "available": "0.00"}


def test_an_approve_line_holds_the_accrual_until_a_second_officer_approves(api, admin, officer, parties):
    april_payer(api, admin)
    aid = hub_agreement(api, admin)
    line = budget_line(api, officer, aid, voted="350000.00", on_exceed="approve").get_json()
    assert _accrue(api, officer, aid, "2026-03").get_json()["posted"] == 1          # FY2025
    assert _accrue(api, officer, aid, "2026-04").get_json()["posted"] == 1          # 300,000.00 of 350,000.00
    assert _accrue(api, officer, aid, "2026-05").get_json()["posted"] == 0          # held: 550,000.00
    assert _accrue(api, officer, aid, "2026-05").get_json()["posted"] == 0          # asked once only
    pending = api.get("/api/v1/approvals?status=pending&kind=budget_commitment", token=officer).get_json()["items"]
    assert len(pending) == 1
    request = pending[0]
    assert (Decimal(request["amount"]), request["currency"], request["subject"]) == (
        Decimal("200000.00"), "GBP", f"budget_line:{line['id']}")
    assert request["payload"]["requested"] == "250000.00" and request["payload"]["period"] == "2026-05"
    assert execution(api, officer, line["id"])["committed"] == "300000.00"

    same = api.post(f"/api/v1/approvals/{request['id']}/approve", json={"digest": request["digest"]}, token=officer)
    assert same.status_code == 403 and same.get_json()["code"] == "same_officer"
    second = api.token("finance_officer", name="second officer")
    approved = api.post(f"/api/v1/approvals/{request['id']}/approve", json={"digest": request["digest"]},
                        token=second)
    assert approved.status_code == 200, approved.get_json()
    line_now = api.get(f"{B}/{line['id']}", token=officer).get_json()
    assert line_now["execution"]["committed"] == "550000.00"
    assert line_now["execution"]["available"] == "-200000.00"
    assert line_now["execution"]["approved_excess"] == "200000.00"


def test_invoices_consume_and_payments_pay(api, admin, officer, parties, session):
    april_payer(api, admin)
    aid = hub_agreement(api, admin)
    line = budget_line(api, officer, aid).get_json()
    _accrue(api, officer, aid, "2026-03")
    _accrue(api, officer, aid, "2026-04")
    invoice = api.post("/api/v1/invoices", json={
        "agreement": "GB-AL-2026-01", "number": "AL-2026-04", "issued_on": "2026-04-10", "due_on": "2026-05-10",
        "currency": "GBP", "period": "2026-04", "total": "300000.00",
        "lines": [{"kind": "instalment", "amount": "300000.00"}]}, token=parties["AL"])
    assert invoice.status_code == 201, invoice.get_json()
    invoice_id = invoice.get_json()["id"]
    approved = api.post(f"/api/v1/invoices/{invoice_id}/approve", json={"overrides": []}, token=officer)
    assert approved.status_code == 200, approved.get_json()
    assert execution(api, officer, line["id"])["invoiced"] == "300000.00"
    # the payment as reconciliation records it (the invoice feature's settle)
    invoices.settle(session, invoice_id, Money.of("300000.00", "GBP"))
    session.commit()
    assert execution(api, officer, line["id"]) == {"voted": "500000.00", "committed": "300000.00",
                                                   "invoiced": "300000.00", "paid": "300000.00",
                                                   "available": "200000.00"}


def test_bad_budget_lines_are_refused_naming_the_field_and_nothing_is_stored(api, admin, officer, parties):
    aid = hub_agreement(api, admin)
    cases = [
        ({"voted": "1000.0"}, "voted"),                    # GBP has two decimals
        ({"voted": 1000}, "voted"),                        # a JSON number
        ({"currency": "EUR"}, "currency"),                 # the agreement is in GBP
        ({"on_exceed": "warn"}, "on_exceed"),
        ({"category": "lunch"}, "category"),
        ({"fiscal_year": 26}, "fiscal_year"),
    ]
    for change, field in cases:
        body = {"fiscal_year": 2026, "agreement": aid, "voted": "1000.00", "currency": "GBP", "on_exceed": "refuse",
                **change}
        response = api.post(B, json=body, token=officer)
        assert response.status_code == 422, (change, response.get_json())
        assert field in response.get_json()["errors"], (change, response.get_json())
    assert api.get(B, token=officer).get_json()["items"] == []
    ok = budget_line(api, officer, aid, voted="1000.00")
    assert ok.status_code == 201
    assert budget_line(api, officer, aid).status_code == 409
    bad_revision = api.post(f"{B}/{ok.get_json()['id']}/revisions", json={"amount": "5.5", "reason": "x"},
                            token=officer)
    assert bad_revision.status_code == 422 and "amount" in bad_revision.get_json()["errors"]


def test_an_obligation_found_late_commits_in_the_year_of_the_month_it_is_booked_into(api, admin, officer,
                                                                                    parties):
    # March's instalment, first accrued with April, is booked into April (FY2026): 100,000 + 300,000
    april_payer(api, admin)
    aid = hub_agreement(api, admin)
    line = budget_line(api, officer, aid).get_json()
    assert _accrue(api, officer, aid, "2026-04").get_json()["posted"] == 2
    assert execution(api, officer, line["id"])["committed"] == "400000.00"


def test_a_category_line_commits_only_its_kind(api, admin, officer, parties):
    april_payer(api, admin)
    aid = hub_agreement(api, admin)
    line = budget_line(api, officer, aid, voted="10.00", category="per_returnee_fee").get_json()
    assert _accrue(api, officer, aid, "2026-05").status_code == 200  # instalments are not fees
    assert execution(api, officer, line["id"])["committed"] == "0.00"


def test_the_demo_has_an_april_payer_and_a_budget_line_for_the_albania_like_protocol(app, runner, api, session):
    from ledger.budgets import fiscal
    from ledger.timeutil import today

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    officer = api.token("finance_officer")
    assert api.get("/api/v1/parties/GB", token=officer).get_json()["fiscal_year_start_month"] == 4
    lines = {line["agreement"]: line for line in api.get(B, token=officer).get_json()["items"]}
    albania = api.get("/api/v1/agreements/IT-AL-DEMO-01", token=officer).get_json()
    line = lines[albania["id"]]
    assert line["fiscal_year"] == today().year and line["currency"] == "EUR"
    ex = line["execution"]
    assert Decimal(ex["committed"]) > 0
    assert Decimal(ex["available"]) == Decimal(ex["voted"]) - Decimal(ex["committed"])
    rwanda = api.get("/api/v1/agreements/GB-RW-DEMO-01", token=officer).get_json()
    assert lines[rwanda["id"]]["fiscal_year"] == fiscal.fiscal_year_of(today(), 4)
