"""Netting through the API: six member states owing each other in EUR, settled with the fewest transfers."""

from decimal import Decimal

import pytest

from tests.api.recognition_flow import BASE, accepted_claim, claim, decide, ensure_parties
from tests.api.test_errors import assert_problem

# issuing (pays) → enforcing (receives), amount: positions DE +120, ES +80, IT +20, FR -60, BE -40, NL -120.
CLAIMS = [("FR", "DE", "100.00"), ("IT", "DE", "50.00"), ("DE", "ES", "30.00"), ("NL", "ES", "120.00"),
          ("BE", "FR", "40.00"), ("ES", "IT", "70.00")]
POSITIONS = {"BE": "-40.00", "DE": "120.00", "ES": "80.00", "FR": "-60.00", "IT": "20.00", "NL": "-120.00"}


@pytest.fixture
def states(api, admin, parties):
    return ensure_parties(api, admin, parties, "IT", "ES", "NL", "BE")


def _netting(api, token, period, currency="EUR"):
    suffix = f"?currency={currency}" if currency else ""
    response = api.get(f"{BASE}/settlements/{period}/netting{suffix}", token=token)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_six_states_net_to_the_fewest_transfers(api, states, officer):
    ids = [accepted_claim(api, states, i, e, amount)["id"] for i, e, amount in CLAIMS]
    paid = accepted_claim(api, states, "BE", "NL", "500.00")  # paid within the period: not netted
    api.post(f"{BASE}/cost-claims/{paid['id']}/payment", json={"paid_on": "2024-04-20"}, token=states["BE"])
    later = accepted_claim(api, states, "FR", "IT", "10.00", decided_on="2024-05-02")  # accepted after the period
    refused = claim(api, states, "DE", "NL")
    decide(api, states["DE"], refused["id"], "2024-04-01", accepted=False, reason="no evidence")
    claim(api, states, "NL", "BE")  # not decided
    accepted_claim(api, states, "FR", "DE", "900", currency="JPY")  # another currency

    body = _netting(api, officer, "2024-04")
    assert body["period"] == "2024-04" and body["as_of"] == "2024-04-30"
    [plan] = body["currencies"]
    assert plan["currency"] == "EUR" and sorted(plan["claims"]) == sorted(ids) and plan["optimal"] is True
    positions = {p["state"]: p["position"] for p in plan["positions"]}
    assert positions == POSITIONS
    assert sum(Decimal(v) for v in positions.values()) == 0
    transfers = [(t["payer"], t["payee"], t["amount"]) for t in plan["transfers"]]
    # two zero-sum groups ({NL, DE} and {FR, BE, IT, ES}) among six states: 6 - 2 = 4 transfers, the minimum
    assert transfers == [("BE", "ES", "20.00"), ("BE", "IT", "20.00"), ("FR", "ES", "60.00"), ("NL", "DE", "120.00")]
    payers, payees = {t[0] for t in transfers}, {t[1] for t in transfers}
    assert not payers & payees
    settled = {s: Decimal(0) for s in positions}
    for payer, payee, amount in transfers:
        settled[payer] -= Decimal(amount)
        settled[payee] += Decimal(amount)
    assert {s: str(v) for s, v in settled.items()} == positions

    may = _netting(api, officer, "2024-05")["currencies"][0]
    assert later["id"] in may["claims"]
    everything = _netting(api, officer, "2024-04", currency=None)["currencies"]
    assert [p["currency"] for p in everything] == ["EUR", "JPY"]
    assert everything[1]["transfers"] == [{"payer": "FR", "payee": "DE", "amount": "900"}]


def test_payment_after_the_period_end_keeps_the_claim_in_that_period(api, states, officer):
    made = accepted_claim(api, states, "FR", "DE", "100.00")
    api.post(f"{BASE}/cost-claims/{made['id']}/payment", json={"paid_on": "2024-05-10"}, token=states["FR"])
    assert _netting(api, officer, "2024-04")["currencies"][0]["claims"] == [made["id"]]
    assert _netting(api, officer, "2024-05")["currencies"] == []


def test_a_partner_sees_its_own_position_and_transfers(api, states):
    for issuing, enforcing, amount in CLAIMS:
        accepted_claim(api, states, issuing, enforcing, amount)
    [plan] = _netting(api, states["NL"], "2024-04")["currencies"]
    assert plan["positions"] == [{"state": "NL", "position": "-120.00"}]
    assert plan["transfers"] == [{"payer": "NL", "payee": "DE", "amount": "120.00"}]
    assert len(plan["claims"]) == 1
    [plan] = _netting(api, states["GB"], "2024-04")["currencies"]
    assert plan["positions"] == [] and plan["transfers"] == [] and plan["claims"] == []


def test_period_must_be_a_month(api, officer):
    assert_problem(api.get(f"{BASE}/settlements/2024-13/netting", token=officer), 422, "invalid_period")


def test_the_settlement_statement_carries_netting_and_overdue_claims(api, states, officer):
    for issuing, enforcing, amount in CLAIMS:
        accepted_claim(api, states, issuing, enforcing, amount)
    statement = api.get(f"{BASE}/settlements/2024-04", token=officer).get_json()["statement"]
    [plan] = statement["netting"]["currencies"]
    assert {p["state"]: p["position"] for p in plan["positions"]} == POSITIONS
    mine = api.get(f"{BASE}/settlements/2024-04", token=states["NL"]).get_json()["statement"]
    assert [p["state"] for p in mine["netting"]["currencies"][0]["positions"]] == ["NL"]
    later = api.get(f"{BASE}/settlements/2024-09", token=officer).get_json()["statement"]
    assert later["eu_claims"]["overdue"] and all(i["kind"] == "payment" for i in later["eu_claims"]["overdue"])
