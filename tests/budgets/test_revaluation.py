"""Month-end FX revaluation through the API. GB reports in GBP and owes AL 100,000.00 EUR from 1 March and
300,000.00 EUR more from 1 April (instalments of an agreement in euro). Figures by hand:

March: carried at 0.8500 (1 March) = 85,000.00 GBP; at 31 March 0.8612 = 86,120.00 GBP → 1,120.00 GBP dearer: a
loss (Dr fx_unrealised 1,120.00 / Cr fx_revaluation_payable 1,120.00), reversed on 1 April.
April: carried 100,000 × 0.8500 + 300,000 × 0.8600 = 343,000.00 GBP; at 30 April 1 GBP = 1.25 EUR (recorded the
other way round: 0.8 GBP per EUR) = 320,000.00 GBP → 23,000.00 GBP cheaper: a gain.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from ledger.fx.models import FxRate
from ledger.journal.models import Account, JournalEntry
from ledger.journal.service import balances, lines_of
from ledger.timeutil import today
from tests.api.agreements_helpers import A
from tests.budgets.helpers import hub_agreement

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "eurofxref-sample.csv"


def rate(api, token, currency, quote, value, on):
    return api.post("/api/v1/fx-rates", json={"currency": currency, "quote_currency": quote, "rate": value, "on": on,
                                              "source": "HM Treasury"}, token=token)


def setup(api, admin, officer):
    response = api.put("/api/v1/parties/GB", json={"name": "United Kingdom", "reporting_currency": "GBP"},
                       token=admin)
    assert response.status_code == 200
    aid = hub_agreement(api, admin, reference="GB-AL-EUR", currency="EUR")
    for period in ("2026-03", "2026-04"):
        assert api.post(f"{A}/{aid}/accrue", json={"period": period}, token=officer).status_code == 200
    for currency, quote, value, on in (("EUR", "GBP", "0.8500", "2026-03-01"), ("EUR", "GBP", "0.8612", "2026-03-31"),
                                       ("EUR", "GBP", "0.8600", "2026-04-01"), ("GBP", "EUR", "1.25", "2026-04-30")):
        assert rate(api, officer, currency, quote, value, on).status_code == 201
    return aid


def test_month_end_revaluation_posts_unrealised_differences_and_reverses_them(api, admin, officer, parties, session):
    aid = setup(api, admin, officer)
    march = api.post("/api/v1/revaluations", json={"period": "2026-03", "party": "GB"}, token=officer)
    assert march.status_code == 201, march.get_json()
    [row] = march.get_json()["items"]
    [item] = row["items"]
    assert (item["difference"], item["currency"], item["balance"], item["balance_currency"], item["rate"]) == (
        "-1120.00", "GBP", "-100000.00", "EUR", "0.8612")
    lines = {(line.account.purpose, str(line.amount)) for line in lines_of(session, row["entry"])}
    assert lines == {("fx_revaluation_payable", "-1120.00"), ("fx_unrealised", "1120.00")}
    entry, reversal = session.get(JournalEntry, row["entry"]), session.get(JournalEntry, row["reversal_entry"])
    assert (entry.effective_date.isoformat(), entry.period, entry.source_type) == ("2026-03-31", "2026-03",
                                                                                   "fx_revaluation")
    assert (reversal.effective_date.isoformat(), reversal.reverses_id) == ("2026-04-01", row["entry"])

    april = api.post("/api/v1/revaluations", json={"period": "2026-04"}, token=officer).get_json()["items"]
    [gb] = [r for r in april if r["party"] == "GB"]
    assert [i["difference"] for i in gb["items"]] == ["23000.00"]
    # realised differences stay apart; what is left unrealised is April's gain until 1 May reverses it
    session.expire_all()
    unrealised = balances(session, as_of=date(2026, 4, 30),
                          account_filter=Account.purpose == "fx_unrealised")
    assert [(a.currency, b) for a, b in unrealised] == [("GBP", Decimal("-23000.00"))]
    assert not balances(session, account_filter=Account.purpose == "fx_differences")
    # the statement of the agreement's own accounts (in euro) does not move
    statement = api.get(f"/api/v1/settlements/2026-04?agreement={aid}", token=officer).get_json()
    assert statement["statement"]["agreements"][0]["closing"] == "400000.00"

    again = api.post("/api/v1/revaluations", json={"period": "2026-03", "party": "GB"}, token=officer)
    assert again.status_code == 409 and again.get_json()["code"] == "already_revalued"


def test_a_missing_rate_or_a_month_not_ended_is_refused_and_nothing_is_posted(api, admin, officer, parties, session):
    api.put("/api/v1/parties/GB", json={"name": "United Kingdom", "reporting_currency": "GBP"}, token=admin)
    aid = hub_agreement(api, admin, reference="GB-AL-EUR", currency="EUR")
    api.post(f"{A}/{aid}/accrue", json={"period": "2026-03"}, token=officer)
    rate(api, officer, "EUR", "GBP", "0.8612", "2026-03-31")  # nothing on or before 1 March
    missing = api.post("/api/v1/revaluations", json={"period": "2026-03", "party": "GB"}, token=officer)
    assert missing.status_code == 422 and missing.get_json()["code"] == "fx_rate_missing"
    assert missing.get_json()["on"] == "2026-03-01"
    assert not session.execute(select(JournalEntry).where(JournalEntry.source_type == "fx_revaluation")).first()
    current = today().strftime("%Y-%m")
    not_ended = api.post("/api/v1/revaluations", json={"period": current, "party": "GB"}, token=officer)
    assert not_ended.status_code == 422 and not_ended.get_json()["code"] == "period_not_ended"


def test_rates_are_decimal_strings(api, officer, parties):
    for value in (0.86, 1, "0", "-1.2", "0.123456789"):
        response = rate(api, officer, "EUR", "GBP", value, "2026-03-31")
        assert response.status_code == 422, value
        assert "rate" in response.get_json()["errors"], value
    same = rate(api, officer, "EUR", "EUR", "1", "2026-03-31")
    assert same.status_code == 422 and "quote_currency" in same.get_json()["errors"]


def test_reference_rates_import_from_a_central_bank_csv(runner, session):
    result = runner.invoke(args=["fx-rates", "import", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "19 rates imported" in result.output  # 4 days × 5 currencies, one N/A
    session.expire_all()
    row = session.execute(select(FxRate).where(FxRate.quote_currency == "GBP",
                                               FxRate.on == date(2026, 11, 30))).scalar_one()
    assert (row.currency, row.rate, row.source) == ("EUR", Decimal("0.8702"), "ECB reference rate")
