from datetime import date

import pytest

from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money


@pytest.fixture
def posted(app, parties, session):
    def entry(payer, host, amount, day, agreement):
        money = Money.of(amount, "GBP")
        return EntryDraft(day, (debit(AccountKey("returns_costs", "GBP", payer, host, agreement), money),
                                credit(AccountKey("obligations", "GBP", host, payer, agreement), money)),
                          "test", str(agreement))
    service.post_entries(session, [entry("GB", "AL", "100.00", date(2026, 3, 1), 1),
                                   entry("GB", "RW", "250.00", date(2026, 3, 2), 2),
                                   entry("GB", "AL", "50.00", date(2026, 4, 1), 1)])
    session.commit()
    return parties


def test_officer_sees_all_accounts_with_balances(api, officer, posted):
    items = api.get("/api/v1/accounts", token=officer).get_json()["items"]
    balances = {i["code"]: i["balance"] for i in items}
    assert balances == {"returns_costs:GB:AL:1:GBP": "150.00", "obligations:AL:GB:1:GBP": "-150.00",
                        "returns_costs:GB:RW:2:GBP": "250.00", "obligations:RW:GB:2:GBP": "-250.00"}


def test_balances_as_of_a_date(api, officer, posted):
    items = api.get("/api/v1/accounts?as_of=2026-03-31&purpose=obligations", token=officer).get_json()["items"]
    assert {i["code"]: i["balance"] for i in items}["obligations:AL:GB:1:GBP"] == "-100.00"


def test_partner_sees_only_its_own_accounts_and_entries(api, posted):
    accounts = api.get("/api/v1/accounts", token=posted["AL"]).get_json()["items"]
    assert {a["code"] for a in accounts} == {"returns_costs:GB:AL:1:GBP", "obligations:AL:GB:1:GBP"}
    entries = api.get("/api/v1/journal/entries", token=posted["AL"]).get_json()["items"]
    assert [e["id"] for e in entries] == [1, 3]
    assert entries[0]["postings"][0] == {"line": 0, "account": "returns_costs:GB:AL:1:GBP", "currency": "GBP",
                                         "amount": "100.00", "fx_rate": None, "fx_source": None,
                                         "original_amount": None, "original_currency": None}


def test_entries_page_by_cursor_and_filter(api, auditor, posted):
    first = api.get("/api/v1/journal/entries?limit=2", token=auditor).get_json()
    second = api.get(f"/api/v1/journal/entries?limit=2&cursor={first['next_cursor']}", token=auditor).get_json()
    assert [e["id"] for e in first["items"] + second["items"]] == [1, 2, 3] and second["next_cursor"] is None
    march = api.get("/api/v1/journal/entries?period=2026-03", token=auditor).get_json()["items"]
    assert [e["id"] for e in march] == [1, 2]
    assert first["items"][1]["prev_hash"] == first["items"][0]["hash"]


def test_each_filter_and_page_narrows_its_own_list(api, officer, posted):
    """The lists' selects are built once per shape and reused: each request still gets its own values, whichever
    filters and pages came before it."""
    first = api.get("/api/v1/journal/entries?limit=1", token=posted["AL"]).get_json()
    after = f"/api/v1/journal/entries?limit=1&cursor={first['next_cursor']}"
    second, rw = (api.get(after, token=posted[code]).get_json() for code in ("AL", "RW"))
    assert [e["id"] for e in first["items"] + second["items"] + rw["items"]] == [1, 3, 2]
    for period, ids in (("2026-04", [3]), ("2026-03", [1, 2])):
        assert [e["id"] for e in api.get(f"/api/v1/journal/entries?period={period}",
                                         token=officer).get_json()["items"]] == ids
    assert [e["id"] for e in api.get("/api/v1/journal/entries?account=obligations:RW:GB:2:GBP",
                                     token=officer).get_json()["items"]] == [2]
    for period, balance in (("2026-03", "-100.00"), ("2026-04", "-150.00")):
        items = api.get(f"/api/v1/accounts?period={period}&party=AL&purpose=obligations", token=officer).get_json()
        assert [(i["code"], i["balance"]) for i in items["items"]] == [("obligations:AL:GB:1:GBP", balance)]
    assert [a["code"] for a in api.get("/api/v1/accounts?party=RW&agreement_id=2&purpose=returns_costs",
                                       token=officer).get_json()["items"]] == ["returns_costs:GB:RW:2:GBP"]


def test_export_over_the_api(api, auditor, posted):
    response = api.get("/api/v1/journal/export?format=beancount", token=auditor)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "Liabilities:Obligations:AL:GB:A1  -100.00 GBP" in response.get_data(as_text=True)


def test_partners_cannot_export_the_whole_journal(api, posted):
    assert api.get("/api/v1/journal/export", token=posted["AL"]).status_code == 403
