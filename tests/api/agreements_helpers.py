"""Shared helpers for the agreement API tests."""

from __future__ import annotations

from decimal import Decimal

A = "/api/v1/agreements"

RWANDA_TERMS = {
    "per_returnee_fee": "20000.00",
    "monthly_support": {"amount": "2500.00", "max_months": 3},
    "instalments": [{"due_on": "2026-02-01", "amount": "5000000.00", "label": "fund contribution"},
                    {"due_on": "2026-06-01", "amount": "2500000.00", "label": "fund contribution"}],
    "milestones": [{"returnees": 300, "amount": "1000000.00"}],
    "advance": {"amount": "200000.00"},
    "payment_terms_days": 30,
    "tolerance": {"absolute": "50.00", "percent": "0.5"},
}


def agreement_body(reference="GB-RW-2026-01", payer="GB", payee="RW", terms=None, **extra):
    body = {"reference": reference, "kind": "return_hub", "payer": payer, "payee": payee, "currency": "GBP",
            "signed_on": "2026-01-15", "effective_from": "2026-02-01", "effective_to": "2030-12-31",
            "terms": terms if terms is not None else RWANDA_TERMS}
    body.update(extra)
    return body


def create_agreement(api, token, **kw) -> dict:
    response = api.post(A, json=agreement_body(**kw), token=token)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def batch(api, token, agreement_id, items):
    response = api.post(f"{A}/{agreement_id}/returnees/batch", json={"items": items}, token=token)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def people(prefix, count, transferred_on, accepted_on=None, nationality="ERI"):
    items = []
    for n in range(count):
        item = {"case_ref": f"{prefix}-{n:05d}", "transferred_on": transferred_on, "nationality": nationality}
        if accepted_on:
            item["accepted_on"] = accepted_on
        items.append(item)
    return items


def accrue(api, token, agreement_id, period) -> int:
    response = api.post(f"{A}/{agreement_id}/accrue", json={"period": period}, token=token)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["posted"]


def obligations(api, token, agreement_id, period=None) -> list[dict]:
    items, cursor = [], None
    while True:
        query = "?limit=1000" + (f"&period={period}" if period else "") + (f"&cursor={cursor}" if cursor else "")
        response = api.get(f"{A}/{agreement_id}/obligations{query}", token=token)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return items


def total(items, kind=None) -> str:
    return format(sum((Decimal(i["amount"]) for i in items if kind is None or i["kind"] == kind), Decimal("0.00")),
                  "f")
