"""Helpers that walk the EU recognition workflow through the API: order → recognition → enforcement →
claim → decision → payment, each step by the state whose step it is."""

from __future__ import annotations

from datetime import date
from itertools import count

from ledger.money import Money
from tests.conftest import make_party

_refs = count(1)
BASE = "/api/v1"


def ensure_parties(api, admin, tokens: dict, *codes: str) -> dict:
    for code in codes:
        if code not in tokens:
            make_party(api, admin, code)
            tokens[code] = api.token("partner", code)
    return tokens


def order(api, token, issuing="FR", decision_date="2024-01-15", **extra) -> dict:
    body = {"issuing_state": issuing, "decision_ref": f"DEC-{issuing}-{next(_refs):05d}",
            "decision_date": str(decision_date), "ground": "public_order", "case_ref": "CASE-SECRET-0001", **extra}
    response = api.post(f"{BASE}/return-orders", json=body, token=token)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def recognised(api, tokens, issuing="FR", enforcing="DE", decision_date="2024-01-15", requested_on=None,
               decided_on=None, enforced_on=None, notified_on=None, legal_basis=None) -> dict:
    """A recognition, recognised and (when `enforced_on` is given) enforced."""
    extra = {"legal_basis": legal_basis} if legal_basis else {}
    made = order(api, tokens[issuing], issuing, decision_date, **extra)
    requested_on = requested_on or decision_date
    rec = api.post(f"{BASE}/return-orders/{made['id']}/recognitions",
                   json={"enforcing_state": enforcing, "requested_on": str(requested_on)}, token=tokens[issuing])
    assert rec.status_code == 201, rec.get_json()
    rec_id = rec.get_json()["id"]
    decided = api.post(f"{BASE}/recognitions/{rec_id}/decision",
                       json={"recognised": True, "decided_on": str(decided_on or requested_on)},
                       token=tokens[enforcing])
    assert decided.status_code == 200, decided.get_json()
    if enforced_on is not None:
        enforced = api.post(f"{BASE}/recognitions/{rec_id}/enforcement",
                            json={"enforced_on": str(enforced_on), "notified_on": str(notified_on or enforced_on)},
                            token=tokens[enforcing])
        assert enforced.status_code == 200, enforced.get_json()
        return enforced.get_json()
    return decided.get_json()


def simple_lines(amount="100.00") -> list[dict]:
    return [{"category": "visa_fee", "amount": amount, "evidence_ref": "VISA-1"}]


def submit_claim(api, token, rec_id, submitted_on, lines=None, currency="EUR", recovered="0.00"):
    body = {"recognition": rec_id, "submitted_on": str(submitted_on), "currency": currency,
            "recovered_from_person": recovered, "lines": lines or simple_lines()}
    return api.post(f"{BASE}/cost-claims", json=body, token=token)


def claim(api, tokens, issuing="FR", enforcing="DE", decision_date="2024-01-15", enforced_on="2024-03-01",
          submitted_on="2024-03-10", lines=None, currency="EUR", recovered="0.00") -> dict:
    rec = recognised(api, tokens, issuing, enforcing, decision_date, enforced_on=enforced_on)
    response = submit_claim(api, tokens[enforcing], rec["id"], submitted_on, lines, currency, recovered)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def decide(api, token, claim_id, decided_on, accepted=True, reason=None):
    body = {"accepted": accepted, "decided_on": str(decided_on)}
    if reason is not None:
        body["reason"] = reason
    return api.post(f"{BASE}/cost-claims/{claim_id}/decision", json=body, token=token)


def accepted_claim(api, tokens, issuing, enforcing, amount, decided_on: date | str = "2024-04-01",
                   currency="EUR") -> dict:
    nothing = str(Money.zero(currency))  # "0.00", or "0" in JPY: amounts have exactly the currency's decimals
    made = claim(api, tokens, issuing, enforcing, lines=simple_lines(amount), currency=currency, recovered=nothing)
    response = decide(api, tokens[issuing], made["id"], decided_on)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
