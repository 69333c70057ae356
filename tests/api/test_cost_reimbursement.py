"""Actual costs reimbursed up to caps, voluntary departures and onward returns (issue 23, points 1 and 2).

GB pays RW in GBP from 1 Feb 2026: £20,000 per accepted person, £2,500 a month of support for at most 3 months,
£2,500 per voluntary departure, and actual costs up to £10,000 per person, £3,000 of healthcare and £8,000 a
calendar year. Three people are transferred on 2 March and accepted on 3 March:

* A leaves voluntarily on 20 April: support for March and April (2 × 2,500.00 = 5,000.00) and the grant 2,500.00
  due on 20 April;
* B returns onward on 10 May: support March, April, May (7,500.00); its journey is an onward_travel cost;
* C departs on 5 April: support March and April (5,000.00).

Figures worked out by hand before the code (A's costs, in document order):
  invoice 1 (April): healthcare 2,000.00 (headroom 3,000.00: healthcare cap) → fine;
                     healthcare 1,500.00 (healthcare left 1,000.00) → cap_exceeded, remaining 1,000.00;
                     accommodation 4,000.00 (person left 10,000 − 3,500 = 6,500; year left 4,500) → fine.
  consumed after invoice 1: 7,500.00 (healthcare 3,500.00, accommodation 4,000.00; year 2026 7,500.00).
  invoice 2 (May): food 1,000.00 → outside_stay (A left in April) and cap_exceeded, remaining 500.00 (the year
                   cap: 8,000 − 7,500; the person cap would leave 2,500).
"""

from __future__ import annotations

from decimal import Decimal

from tests.api.agreements_helpers import A, accrue, batch, create_agreement, obligations, people, total
from tests.api.invoices_helpers import I, codes, post_xml, ubl
from tests.settlement.test_statement_is_the_journal import _line, _next, _owed_in_accounts

TERMS = {
    "per_returnee_fee": "20000.00",
    "monthly_support": {"amount": "2500.00", "max_months": 3},
    "voluntary_departure_grant": "2500.00",
    "cost_reimbursement": {"cap_per_person": "10000.00", "caps_per_category": {"healthcare": "3000.00"},
                           "cap_per_year": "8000.00"},
}


def statement_identity(api, token, agreement_id, first: str, through: str) -> None:
    """Each month from `first` (the agreement's first posting) to `through`: closing = the journal's balance,
    opening = last closing, and opening + accrued + adjustments − paid = closing."""
    period, previous = first, None
    while period <= through:
        line = _line(api, token, period, agreement_id)
        closing = Decimal(line["closing"])
        assert closing == _owed_in_accounts(api, token, period, agreement_id), (period, line)
        assert (Decimal(line["opening"]) + Decimal(line["accrued"]) + Decimal(line["adjustments"])
                - Decimal(line["paid"])) == closing, (period, line)
        if previous is not None:
            assert Decimal(line["opening"]) == previous, (period, line)
        period, previous = _next(period), closing


def _event(api, token, rid, kind, day):
    response = api.post(f"/api/v1/returnees/{rid}/events", json={"type": kind, "occurred_on": day}, token=token)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _invoice(api, token, agreement, number, period, lines):
    body = {"agreement": agreement["reference"], "number": number, "issued_on": "2026-06-02",
            "due_on": "2026-07-02", "currency": "GBP", "period": period,
            "total": format(sum((Decimal(line["amount"]) for line in lines), Decimal("0.00")), "f"), "lines": lines}
    return api.post(I, json=body, token=token)


def _cost(returnee, category, amount, period=None, evidence="RCPT-1"):
    line = {"kind": "actual_cost", "returnee": returnee, "category": category, "amount": amount,
            "evidence_ref": evidence}
    if period:
        line["period"] = period
    return line


def _world(api, admin, officer, parties):
    rw = parties["RW"]
    agreement = create_agreement(api, admin, terms=TERMS)
    aid = agreement["id"]
    ids = [i["id"] for i in batch(api, rw, aid, people("CR", 3, "2026-03-02", "2026-03-03"))["items"]]
    a, b, c = ids
    _event(api, rw, a, "voluntary_departure", "2026-04-20")
    _event(api, rw, b, "returned_onward", "2026-05-10")
    _event(api, rw, c, "departed", "2026-04-05")
    for period in ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        accrue(api, officer, aid, period)
    return agreement, a, b, c


def test_departures_stop_support_and_a_voluntary_departure_pays_its_grant(api, admin, officer, parties):
    agreement, a, b, c = _world(api, admin, officer, parties)
    items = obligations(api, officer, agreement["id"])
    support = {rid: total([o for o in items if o["returnee"] == rid], "monthly_support") for rid in (a, b, c)}
    assert support == {a: "5000.00", b: "7500.00", c: "5000.00"}
    grants = [(o["returnee"], o["amount"], o["due_on"]) for o in items if o["kind"] == "departure_grant"]
    assert grants == [(a, "2500.00", "2026-04-20")]
    returnee = api.get(f"/api/v1/returnees/{b}", token=officer).get_json()
    assert (returnee["status"], returnee["departure"], returnee["departed_on"]) == ("departed", "returned_onward",
                                                                                     "2026-05-10")
    # a second end of stay is refused, whichever kind
    again = api.post(f"/api/v1/returnees/{a}/events", json={"type": "departed", "occurred_on": "2026-05-01"},
                     token=parties["RW"])
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"
    # the grant is invoiced like any obligation, naming its returnee
    grant = _invoice(api, parties["RW"], agreement, "RW-GRANT", "2026-04",
                     [{"kind": "departure_grant", "returnee": str(a), "amount": "2500.00"}])
    assert grant.status_code == 201 and grant.get_json()["status"] == "accepted", grant.get_json()


def test_actual_costs_up_to_the_caps(api, admin, officer, parties):
    rw = parties["RW"]
    agreement, a, b, c = _world(api, admin, officer, parties)
    first = _invoice(api, rw, agreement, "RW-COST-1", "2026-04", [
        _cost(str(a), "healthcare", "2000.00"), _cost(str(a), "healthcare", "1500.00"),
        _cost(str(a), "accommodation", "4000.00")])
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "disputed"
    assert [(f["code"], f["line"], f.get("remaining")) for f in body["findings"]] == [("cap_exceeded", "2", "1000.00")]
    assert [(ln["category"], ln["evidence_ref"]) for ln in body["lines"]][0] == ("healthcare", "RCPT-1")

    # approving over the finding needs a reason; the whole 7,500.00 is then payable (and in the statement)
    refused = api.post(f"{I}/{body['id']}/approve", json={"overrides": []}, token=officer)
    assert refused.status_code == 422 and refused.get_json()["code"] == "override_required"
    approved = api.post(f"{I}/{body['id']}/approve",
                        json={"overrides": [{"line": "2", "reason": "surgery agreed by GB on 12 April"}]},
                        token=officer)
    assert approved.status_code == 200, approved.get_json()
    assert (approved.get_json()["payable"], approved.get_json()["amount_open"]) == ("7500.00", "7500.00")

    caps = api.get(f"/api/v1/returnees/{a}/cost-caps", token=officer).get_json()
    assert (caps["cap_per_person"], caps["consumed"]) == ("10000.00", "7500.00")
    assert {c_["category"]: (c_["cap"], c_["consumed"]) for c_ in caps["categories"]} == {
        "healthcare": ("3000.00", "3500.00"), "accommodation": (None, "4000.00")}
    assert caps["years"] == [{"year": 2026, "cap": "8000.00", "consumed": "7500.00"}]

    second = _invoice(api, rw, agreement, "RW-COST-2", "2026-05", [_cost(str(a), "food", "1000.00")]).get_json()
    assert [(f["code"], f.get("remaining")) for f in second["findings"]] == [("outside_stay", None),
                                                                         ("cap_exceeded", "500.00")]
    # a pending invoice holds its headroom; rejecting it frees it
    assert api.get(f"/api/v1/returnees/{a}/cost-caps", token=officer).get_json()["consumed"] == "8500.00"
    api.post(f"{I}/{second['id']}/reject", json={"reason": "after departure"}, token=officer)
    assert api.get(f"/api/v1/returnees/{a}/cost-caps", token=officer).get_json()["consumed"] == "7500.00"

    # onward travel is reimbursed for the person who returned onward, not for one who merely departed
    onward = _invoice(api, rw, agreement, "RW-COST-3", "2026-05", [
        _cost(str(b), "onward_travel", "600.00", evidence="TKT-9"),
        _cost(str(c), "onward_travel", "300.00", evidence="TKT-10")]).get_json()
    assert codes(onward) == [("outside_stay", "2")]
    statement_identity(api, officer, agreement["id"], "2026-03", "2026-12")


def test_actual_cost_lines_are_refused_without_what_they_must_name(api, admin, officer, parties):
    agreement, a, _b, _c = _world(api, admin, officer, parties)
    no_category = {"kind": "actual_cost", "returnee": str(a), "amount": "10.00", "evidence_ref": "X"}
    response = _invoice(api, parties["RW"], agreement, "RW-BAD-1", "2026-04", [no_category])
    assert response.status_code == 422
    assert "lines.0.category" in response.get_json()["errors"]
    wrong_units = _cost(str(a), "food", "10.5")
    response = _invoice(api, parties["RW"], agreement, "RW-BAD-2", "2026-04", [wrong_units])
    assert response.status_code == 422 and "lines.0.amount" in response.get_json()["errors"]
    stray = {"kind": "monthly_support", "returnee": str(a), "amount": "2500.00", "category": "food"}
    response = _invoice(api, parties["RW"], agreement, "RW-BAD-3", "2026-04", [stray])
    assert response.status_code == 422 and "lines.0.category" in response.get_json()["errors"]
    assert api.get(f"{I}?limit=100", token=parties["RW"]).get_json()["items"] == []  # nothing stored


def test_terms_refuse_caps_with_wrong_minor_units_or_rates_as_numbers(api, admin, parties):
    bad = [
        ({"cost_reimbursement": {"cap_per_person": "150874.5"}}, "terms.cost_reimbursement.cap_per_person"),
        ({"cost_reimbursement": {"caps_per_category": {"food": "10.00"}}}, "terms.cost_reimbursement.cap_per_person"),
        ({"cost_reimbursement": {"cap_per_person": "100.00", "caps_per_category": {"spa": "10.00"}}},
         "terms.cost_reimbursement.caps_per_category.spa"),
        ({"cost_reimbursement": {"cap_per_person": "100.00", "cap_per_year": "200.00"}},
         "terms.cost_reimbursement.cap_per_year"),
        ({"voluntary_departure_grant": "2500"}, "terms.voluntary_departure_grant"),
        ({"late_interest": {"kind": "fixed", "rate_percent": 8.0}}, "terms.late_interest.rate_percent"),
        ({"late_interest": {"kind": "reference", "reference": "LIBOR", "margin_percent": "8.00"}},
         "terms.late_interest.reference"),
        ({"late_interest": {"kind": "fixed", "rate_percent": "8.00001"}}, "terms.late_interest.rate_percent"),
    ]
    for index, (terms, field) in enumerate(bad):
        response = api.post(A, json={"reference": f"BAD-{index}", "kind": "return_hub", "payer": "GB", "payee": "RW",
                                     "currency": "GBP", "effective_from": "2026-02-01", "terms": terms}, token=admin)
        assert response.status_code == 422, (terms, response.get_json())
        assert field in response.get_json()["errors"], (terms, response.get_json())
    assert api.get(f"{A}?limit=100", token=admin).get_json()["items"] == []


def test_actual_costs_in_ubl_name_category_and_evidence_as_item_properties(api, admin, officer, parties):
    agreement, _a, b, _c = _world(api, admin, officer, parties)
    document = ubl("RW-UBL-COSTS", agreement["reference"], [
        {"kind": "actual_cost", "returnee": str(b), "category": "healthcare", "amount": "3500.00",
         "evidence_ref": "KFH-88"},
        {"kind": "actual_cost", "returnee": str(b), "category": "food", "amount": "90.00"}], period="2026-04")
    response = post_xml(api, document, parties["RW"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # 3,500.00 of healthcare against its 3,000.00 cap, nothing consumed: 3,000.00 left; the food line has no evidence
    assert [(f["code"], f["line"], f.get("remaining")) for f in body["findings"]] == [
        ("missing_evidence", "2", None), ("cap_exceeded", "1", "3000.00")]
    assert [(ln["category"], ln["evidence_ref"]) for ln in body["lines"]] == [("healthcare", "KFH-88"), ("food", None)]
