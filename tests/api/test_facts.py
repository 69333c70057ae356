"""What cannot be true, and what is hostile, is refused: each refusal a problem+json naming the field, with
nothing stored (issue "Refuse what cannot be true, and what is hostile", points 1-6 and 9)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ledger.agreements.models import Returnee
from ledger.invoices.models import Invoice
from ledger.journal.models import JournalEntry
from ledger.recognition.models import CostClaim, Recognition
from ledger.timeutil import today
from tests.api.agreements_helpers import A, batch, create_agreement, people
from tests.api.invoices_helpers import json_invoice, post_json, post_xml, setup_agreement, ubl
from tests.api.recognition_flow import BASE, claim, decide, ensure_parties, order, recognised, submit_claim
from tests.api.test_errors import assert_problem


def _count(session, column) -> int:
    return session.execute(select(func.count(column))).scalar_one()


def _tomorrow(app) -> str:
    with app.app_context():
        return (today() + timedelta(days=1)).isoformat()


# ---- 1. one removal compensated once -----------------------------------------------------------------

def test_a_return_order_enforced_by_one_state_cannot_be_enforced_by_another(api, admin, parties, session):
    ensure_parties(api, admin, parties, "ES")
    made = order(api, parties["FR"], "FR", "2024-01-15")
    recognitions = []
    for enforcing in ("DE", "ES"):
        rec = api.post(f"{BASE}/return-orders/{made['id']}/recognitions",
                       json={"enforcing_state": enforcing, "requested_on": "2024-01-20"}, token=parties["FR"])
        assert rec.status_code == 201, rec.get_json()
        decided = api.post(f"{BASE}/recognitions/{rec.get_json()['id']}/decision",
                           json={"recognised": True, "decided_on": "2024-01-25"}, token=parties[enforcing])
        assert decided.status_code == 200
        recognitions.append(rec.get_json()["id"])
    first = api.post(f"{BASE}/recognitions/{recognitions[0]}/enforcement", json={"enforced_on": "2024-02-01"},
                     token=parties["DE"])
    assert first.status_code == 200
    second = api.post(f"{BASE}/recognitions/{recognitions[1]}/enforcement", json={"enforced_on": "2024-02-03"},
                      token=parties["ES"])
    problem = assert_problem(second, 409, "already_enforced")
    assert problem["recognition"] == recognitions[0] and "ES" not in problem["detail"]
    assert session.get(Recognition, recognitions[1]).status == "recognised"
    # so only the first enforcing state can claim the removal's costs
    assert_problem(submit_claim(api, parties["ES"], recognitions[1], "2024-02-10"), 409, "not_enforced")
    assert submit_claim(api, parties["DE"], recognitions[0], "2024-02-10").status_code == 201


# ---- 2. capacity on every day of the stay ------------------------------------------------------------

def test_capacity_holds_on_every_day_of_a_back_dated_stay_and_for_an_amendment(api, admin, parties, session):
    agreement = create_agreement(api, admin, reference="GB-AL-CAP", payee="AL",
                                 terms={"per_returnee_fee": "1500.00", "capacity": 2})
    aid, al = agreement["id"], parties["AL"]
    batch(api, al, aid, people("CAP-A", 1, "2026-03-10") + people("CAP-B", 1, "2026-03-20"))
    # on 5 March only one is... no one is there yet, but from the 20th the back-dated person would be the third
    back_dated = api.post(f"{A}/{aid}/returnees", json=people("CAP-C", 1, "2026-03-05")[0], token=al)
    problem = assert_problem(back_dated, 422, "quota_exceeded")
    assert "2026-03-20" in problem["detail"]
    assert _count(session, Returnee.id) == 2
    # an amendment cannot lower the capacity below the people present on a day it is in force
    lower = api.post(f"{A}/{aid}/amendments", json={"effective_from": "2026-04-01",
                                                    "terms": {"per_returnee_fee": "1500.00", "capacity": 1}},
                     token=admin)
    assert "terms.capacity" in assert_problem(lower, 422, "quota_exceeded")["errors"]
    assert api.get(f"{A}/{aid}", token=admin).get_json()["versions"] == 1
    first = api.get(f"{A}/{aid}/returnees", token=admin).get_json()["items"][0]["id"]
    left = api.post(f"/api/v1/returnees/{first}/events", json={"type": "departed", "occurred_on": "2026-03-31"},
                    token=al)
    assert left.status_code == 201
    again = api.post(f"{A}/{aid}/amendments", json={"effective_from": "2026-04-01",
                                                    "terms": {"per_returnee_fee": "1500.00", "capacity": 1}},
                     token=admin)
    assert again.status_code == 201, again.get_json()


# ---- 3. facts are not dated in the future -------------------------------------------------------------

def test_facts_dated_after_today_are_refused_and_today_is_not(app, api, admin, parties, session):
    tomorrow = _tomorrow(app)
    agreement = create_agreement(api, admin)
    transfer = api.post(f"{A}/{agreement['id']}/returnees", json=people("FUT", 1, tomorrow)[0], token=parties["RW"])
    assert "transferred_on" in assert_problem(transfer, 422, "future_date")["errors"]
    listed = batch(api, parties["RW"], agreement["id"], people("FUT-B", 1, "2026-03-02", accepted_on=tomorrow))
    assert listed["items"][0]["error"]["code"] == "future_date"
    assert _count(session, Returnee.id) == 0

    rec = recognised(api, parties, "FR", "DE", "2024-01-15")
    enforced = api.post(f"{BASE}/recognitions/{rec['id']}/enforcement", json={"enforced_on": tomorrow},
                        token=parties["DE"])
    assert "enforced_on" in assert_problem(enforced, 422, "future_date")["errors"]
    made = claim(api, parties)
    late_submission = submit_claim(api, parties["DE"], rec["id"], tomorrow)
    assert_problem(late_submission, 409, "not_enforced")  # (not enforced: the enforcement above was refused)
    entries = _count(session, JournalEntry.id)
    assert "decided_on" in assert_problem(decide(api, parties["FR"], made["id"], tomorrow), 422,
                                          "future_date")["errors"]
    assert session.get(CostClaim, made["id"]).status == "submitted" and _count(session, JournalEntry.id) == entries
    assert decide(api, parties["FR"], made["id"], "2024-04-01").status_code == 200
    paid = api.post(f"{BASE}/cost-claims/{made['id']}/payment", json={"paid_on": tomorrow}, token=parties["FR"])
    assert "paid_on" in assert_problem(paid, 422, "future_date")["errors"]
    assert api.get(f"{BASE}/cost-claims/{made['id']}", token=parties["FR"]).get_json()["stage"] == "accepted"
    with app.app_context():
        assert today().isoformat() < tomorrow


def test_a_claim_submitted_after_today_is_refused(app, api, parties):
    rec = recognised(api, parties, "FR", "DE", "2024-01-15", enforced_on="2024-03-01")
    problem = assert_problem(submit_claim(api, parties["DE"], rec["id"], _tomorrow(app)), 422, "future_date")
    assert "submitted_on" in problem["errors"]


# ---- 4. only states bound by Directive 2001/40/EC ----------------------------------------------------

def test_states_not_bound_by_the_directive_are_refused(api, admin, parties, session):
    body = {"issuing_state": "GB", "decision_ref": "GB-1", "decision_date": "2024-01-15", "ground": "public_order",
            "case_ref": "CASE-GB-1"}
    problem = assert_problem(api.post(f"{BASE}/return-orders", json=body, token=parties["GB"]), 422, "not_bound")
    assert "issuing_state" in problem["errors"] and "2020-12-31" in problem["detail"]
    body.update(issuing_state="AL", decision_ref="AL-1")
    assert_problem(api.post(f"{BASE}/return-orders", json=body, token=parties["AL"]), 422, "not_bound")
    made = order(api, parties["FR"], "FR", "2024-01-15")
    rec = api.post(f"{BASE}/return-orders/{made['id']}/recognitions",
                   json={"enforcing_state": "AL", "requested_on": "2024-01-20"}, token=parties["FR"])
    assert "enforcing_state" in assert_problem(rec, 422, "not_bound")["errors"]
    assert _count(session, Recognition.id) == 0
    hub = {"reference": "GB-AL-MR", "kind": "mutual_recognition", "payer": "GB", "payee": "AL", "currency": "EUR",
           "effective_from": "2024-01-01", "terms": {}}
    assert "payer" in assert_problem(api.post(A, json=hub, token=admin), 422, "not_bound")["errors"]
    # while the United Kingdom was bound, its decisions were recognised
    assert order(api, parties["GB"], "GB", "2019-06-01")["issuing_state"] == "GB"


# ---- 5. exactly the currency's minor units -----------------------------------------------------------

def test_amounts_must_have_exactly_the_currencys_minor_units(api, admin, officer, parties, session):
    agreement = setup_agreement(api, admin, officer, parties["RW"], count=1)
    lines = [{"kind": "per_returnee_fee", "returnee": agreement["returnees"][0]["pseudonym"], "amount": "20000"}]
    response = post_json(api, json_invoice(agreement, lines=lines, total="20000.00"), parties["RW"])
    assert "lines.0.amount" in assert_problem(response, 422, "validation_error")["errors"]
    lines[0]["amount"] = "20000.00"
    response = post_json(api, json_invoice(agreement, lines=lines, total="20000.000"), parties["RW"])
    assert "total" in assert_problem(response, 422, "validation_error")["errors"]
    document = ubl("RW-UBL-DEC", agreement["reference"], [{**lines[0], "amount": "20000"}])
    problem = assert_problem(post_xml(api, document, parties["RW"]), 422, "invalid_invoice")
    assert any(name.endswith("LineExtensionAmount") for name in problem["errors"])
    assert _count(session, Invoice.id) == 0
    rec = recognised(api, parties, "FR", "DE", "2024-01-15", enforced_on="2024-03-01")
    for currency, amount in (("EUR", "1500.000"), ("RWF", "25000000.00"), ("EUR", "1500")):
        line = [{"category": "visa_fee", "amount": amount, "evidence_ref": "V-1"}]
        response = submit_claim(api, parties["DE"], rec["id"], "2024-03-10", line, currency,
                                recovered="0" if currency == "RWF" else "0.00")
        assert "lines.0.amount" in assert_problem(response, 422, "validation_error")["errors"], amount
    assert _count(session, CostClaim.id) == 0


# ---- 6. other impossibilities ------------------------------------------------------------------------

def test_invoices_issued_in_the_future_or_due_before_issue_are_refused(app, api, admin, officer, parties, session):
    agreement = setup_agreement(api, admin, officer, parties["RW"], count=1)
    future = post_json(api, json_invoice(agreement, number="RW-F", issued_on=_tomorrow(app), due_on=None),
                       parties["RW"])
    assert "issued_on" in assert_problem(future, 422, "future_date")["errors"]
    early = post_json(api, json_invoice(agreement, number="RW-E", due_on="2026-04-01"), parties["RW"])
    assert "due_on" in assert_problem(early, 422, "due_before_issue")["errors"]
    document = ubl("RW-UBL-E", agreement["reference"], [{"kind": "per_returnee_fee", "amount": "20000.00",
                                                         "returnee": agreement["returnees"][0]["pseudonym"]}])
    document = document.replace(b"<cbc:DueDate>2026-05-02</cbc:DueDate>", b"<cbc:DueDate>2026-03-01</cbc:DueDate>")
    assert "cbc:DueDate" in assert_problem(post_xml(api, document, parties["RW"]), 422, "due_before_issue")["errors"]
    assert _count(session, Invoice.id) == 0


def test_zero_claims_and_impossible_escorts_are_refused_and_large_ones_flagged(api, parties, session):
    rec = recognised(api, parties, "FR", "DE", "2024-01-15", enforced_on="2024-03-01")
    zero = submit_claim(api, parties["DE"], rec["id"], "2024-03-10",
                        [{"category": "visa_fee", "amount": "0.00", "evidence_ref": "V-0"}])
    assert "lines.0.amount" in assert_problem(zero, 422, "zero_amount")["errors"]
    absurd = [{"category": "escort_allowance", "amount": "9125000.00", "evidence_ref": "E-1", "days": 3650,
               "escorts": 50}]
    problem = assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-10", absurd), 422,
                             "invalid_escort_counts")
    assert {"lines.0.escorts", "lines.0.days"} & set(problem["errors"])
    longer_than_the_removal = [{"category": "escort_allowance", "amount": "500.00", "evidence_ref": "E-2",
                                "days": 12, "escorts": 2}]  # enforced on 1 March, claimed on the 10th: 10 days
    problem = assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-10", longer_than_the_removal),
                             422, "invalid_escort_counts")
    assert "lines.0.days" in problem["errors"]
    assert _count(session, CostClaim.id) == 0
    many = [{"category": "escort_allowance", "amount": "500.00", "evidence_ref": "E-3", "days": 9, "escorts": 2}]
    made = submit_claim(api, parties["DE"], rec["id"], "2024-03-10", many)
    assert made.status_code == 201 and "review" in made.get_json()["lines"][0]["flags"]


def test_a_termination_too_early_says_what_is_missing(api, admin, parties):
    agreement = create_agreement(api, admin)  # no notice period in its terms
    response = api.post(f"{A}/{agreement['id']}/terminate", token=admin,
                        json={"effective_on": "2026-06-01", "reason": "ended", "notified_on": "2026-07-01"})
    problem = assert_problem(response, 422, "notice_too_short")
    assert "None" not in problem["detail"] and "notified on 2026-07-01" in problem["detail"]


# ---- 9. display spoofing -----------------------------------------------------------------------------

def test_control_and_bidi_characters_are_refused_in_references(api, admin, officer, parties, session):
    agreement = setup_agreement(api, admin, officer, parties["RW"], count=1)
    spoofed = "RW-2026-\u202e30-WR"
    response = post_json(api, json_invoice(agreement, number=spoofed), parties["RW"])
    assert "number" in assert_problem(response, 422, "validation_error")["errors"]
    response = post_json(api, json_invoice(agreement, payment_reference="RF18\u2066539007547034"), parties["RW"])
    assert "payment_reference" in assert_problem(response, 422, "validation_error")["errors"]
    line = {"kind": "per_returnee_fee", "amount": "20000.00", "returnee": agreement["returnees"][0]["pseudonym"]}
    document = ubl(spoofed, agreement["reference"], [line])
    assert "cbc:ID" in assert_problem(post_xml(api, document, parties["RW"]), 422, "invalid_characters")["errors"]
    assert _count(session, Invoice.id) == 0
    body = {"issuing_state": "FR", "decision_ref": "FR-\x1b[2J-1", "decision_date": "2024-01-15",
            "ground": "public_order", "case_ref": "CASE-1"}
    response = api.post(f"{BASE}/return-orders", json=body, token=parties["FR"])
    assert "decision_ref" in assert_problem(response, 422, "validation_error")["errors"]
    party = api.post("/api/v1/parties", json={"code": "ES", "name": "Spain\u202b"}, token=admin)
    assert "name" in assert_problem(party, 422, "validation_error")["errors"]
