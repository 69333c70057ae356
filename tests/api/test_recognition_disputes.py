"""EU cost claims decided line by line, disputed and resolved (issue 23, point 5; Decision 2004/191/EC).

FR issued the decision (2024-01-15), DE enforced it (2024-03-01) and claims on 2024-03-10:
  line 0 visa_fee 100.00, line 1 travel_document_fee 60.00, line 2 visa_fee 40.00; 30.00 recovered from the person.
  Allowed 200.00, payable as assessed 170.00.
FR accepts on 2024-04-01 but refuses line 1 ("no receipt"): payable 100 + 40 − 30 = 110.00, due by 2024-07-01.
DE disputes line 1 on 2024-04-10; FR upholds it on 2024-05-02: +60.00 journaled as an adjustment, payable
170.00, the payment deadline counted from the resolution (2024-08-02).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ledger.journal.models import JournalEntry
from ledger.journal.service import lines_of
from tests.api.recognition_flow import BASE, claim, ensure_parties

C = f"{BASE}/cost-claims"
LINES = [{"category": "visa_fee", "amount": "100.00", "evidence_ref": "VISA-1"},
         {"category": "travel_document_fee", "amount": "60.00", "evidence_ref": "LP-1"},
         {"category": "visa_fee", "amount": "40.00", "evidence_ref": "VISA-2"}]


def _tokens(api, admin, parties):
    return ensure_parties(api, admin, dict(parties))


def _entry(session, entry_id) -> dict[str, Decimal]:
    return {line.account.code: line.amount.amount for line in lines_of(session, entry_id)}


def test_partial_acceptance_dispute_and_resolution(api, admin, officer, parties, session):
    tokens = _tokens(api, admin, parties)
    made = claim(api, tokens, lines=LINES, recovered="30.00")
    assert made["payable"] == "170.00"
    cid = made["id"]
    decided = api.post(f"{C}/{cid}/decision", json={
        "accepted": True, "decided_on": "2024-04-01",
        "lines": [{"line": 1, "accepted": False, "reason": "no receipt"}]}, token=tokens["FR"])
    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    assert (body["stage"], body["payable"], body["payment_due_on"]) == ("accepted", "110.00", "2024-07-01")
    assert [(ln["line"], ln["accepted"], ln["decision_reason"]) for ln in body["lines"]] == [
        (0, True, None), (1, False, "no receipt"), (2, True, None)]
    assert _entry(session, body["acceptance_entry"])["claims_receivable:DE:FR:-:EUR"] == Decimal("110.00")

    # 2004/191's payment deadline runs on the part accepted
    late = api.get(f"{C}/{cid}?as_of=2024-07-02", token=officer).get_json()
    assert (late["status"], late["days_overdue"]) == ("payment_overdue", 1)
    assert api.get(f"{C}/{cid}?as_of=2024-07-01", token=officer).get_json()["status"] == "awaiting_payment"

    # DE disputes the refused line; an accepted line cannot be disputed
    wrong = api.post(f"{C}/{cid}/disputes", json={"reason": "x", "lines": [0]}, token=tokens["DE"])
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "not_refused"
    assert "lines.0" in wrong.get_json()["errors"]
    by_issuer = api.post(f"{C}/{cid}/disputes", json={"reason": "x"}, token=tokens["FR"])
    assert by_issuer.status_code == 403
    opened = api.post(f"{C}/{cid}/disputes", json={"reason": "receipt attached", "opened_on": "2024-04-10"},
                      token=tokens["DE"])
    assert opened.status_code == 201, opened.get_json()
    dispute = opened.get_json()
    assert (dispute["lines"], dispute["status"], dispute["payable_before"]) == ([1], "open", "110.00")
    assert api.get(f"{C}/{cid}", token=officer).get_json()["stage"] == "disputed"
    # not paid while disputed
    paid = api.post(f"{C}/{cid}/payment", json={"paid_on": "2024-04-20"}, token=tokens["FR"])
    assert paid.status_code == 409 and paid.get_json()["code"] == "dispute_open"

    resolved = api.post(f"{C}/disputes/{dispute['id']}/resolve", json={"outcome": "upheld",
                                                                     "decided_on": "2024-05-02"}, token=tokens["FR"])
    assert resolved.status_code == 200, resolved.get_json()
    result = resolved.get_json()
    assert (result["status"], result["outcome"], result["payable_after"]) == ("resolved", "upheld", "170.00")
    adjustment = session.get(JournalEntry, result["adjustment_entry"])
    assert (adjustment.source_type, adjustment.effective_date.isoformat()) == ("cost_claim_adjustment", "2024-05-02")
    assert _entry(session, adjustment.id)["claims_receivable:DE:FR:-:EUR"] == Decimal("60.00")
    now = api.get(f"{C}/{cid}", token=officer).get_json()
    assert (now["stage"], now["payable"], now["payment_due_on"]) == ("accepted", "170.00", "2024-08-02")
    assert [ln["accepted"] for ln in now["lines"]] == [True, True, True]
    # the acceptance entry was never edited: 110.00 + 60.00 on two entries
    assert _entry(session, now["acceptance_entry"])["claims_receivable:DE:FR:-:EUR"] == Decimal("110.00")
    again = api.post(f"{C}/disputes/{dispute['id']}/resolve", json={"outcome": "rejected", "reason": "no",
                                                                  "decided_on": "2024-05-03"}, token=tokens["FR"])
    assert again.status_code == 409 and again.get_json()["code"] == "already_resolved"

    paid = api.post(f"{C}/{cid}/payment", json={"paid_on": "2024-05-20"}, token=tokens["FR"])
    assert paid.status_code == 200 and paid.get_json()["stage"] == "paid"
    assert _entry(session, paid.get_json()["payment_entry"])["claims_payable:FR:DE:-:EUR"] == Decimal("170.00")


def test_a_refused_claim_partially_upheld_becomes_payable(api, admin, parties, session):
    tokens = _tokens(api, admin, parties)
    made = claim(api, tokens, lines=[{"category": "visa_fee", "amount": "100.00", "evidence_ref": "V-1"},
                                     {"category": "visa_fee", "amount": "50.00", "evidence_ref": "V-2"}])
    cid = made["id"]
    refused = api.post(f"{C}/{cid}/decision", json={"accepted": False, "decided_on": "2024-04-01",
                                                    "reason": "not our decision"}, token=tokens["FR"])
    assert refused.status_code == 200 and refused.get_json()["acceptance_entry"] is None
    dispute = api.post(f"{C}/{cid}/disputes", json={"reason": "it is", "opened_on": "2024-04-05"},
                       token=tokens["DE"]).get_json()
    assert dispute["lines"] == [0, 1]
    no_reason = api.post(f"{C}/disputes/{dispute['id']}/resolve", json={"outcome": "rejected",
                                                                      "decided_on": "2024-04-15"}, token=tokens["FR"])
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    resolved = api.post(f"{C}/disputes/{dispute['id']}/resolve", json={
        "outcome": "partially_upheld", "decided_on": "2024-04-15",
        "lines": [{"line": 0, "accepted": True, "reason": "proved"}]}, token=tokens["FR"])
    assert resolved.status_code == 200, resolved.get_json()
    now = api.get(f"{C}/{cid}", token=tokens["DE"]).get_json()
    assert (now["stage"], now["payable"], now["payment_due_on"], now["accepted"]) == (
        "accepted", "100.00", "2024-07-15", True)
    assert _entry(session, now["acceptance_entry"])["compensation_income:DE:FR:-:EUR"] == Decimal("-100.00")


def test_line_decisions_refuse_what_cannot_be_and_store_nothing(api, admin, parties, session):
    tokens = _tokens(api, admin, parties)
    cid = claim(api, tokens, lines=LINES)["id"]
    cases = [
        ({"accepted": True, "lines": [{"line": 1, "accepted": False}]}, "lines.0.reason", "refusal_reason_required"),
        ({"accepted": True, "lines": [{"line": 7, "accepted": False, "reason": "x"}]}, "lines.0.line", "unknown_line"),
        ({"accepted": False, "reason": "no", "lines": [{"line": 0, "accepted": True}]}, "lines.0.accepted",
         "inconsistent_decision"),
        ({"accepted": True, "lines": [{"line": n, "accepted": False, "reason": "x"} for n in range(3)]}, "accepted",
         "inconsistent_decision"),
        ({"accepted": True, "lines": [{"line": "1", "accepted": True}]}, "lines.0.line", "validation_error"),
        ({"accepted": True, "decided_on": "2999-01-01"}, "decided_on", "future_date"),
    ]
    for extra, field, code in cases:
        body = {"decided_on": "2024-04-01", **extra}
        response = api.post(f"{C}/{cid}/decision", json=body, token=tokens["FR"])
        assert response.status_code == 422, (body, response.get_json())
        problem = response.get_json()
        assert (problem["code"], field in problem["errors"]) == (code, True), problem
    now = api.get(f"{C}/{cid}", token=tokens["FR"]).get_json()
    assert (now["stage"], [ln["accepted"] for ln in now["lines"]]) == ("submitted", [None, None, None])
    assert session.execute(select(JournalEntry.id).where(JournalEntry.source_type == "cost_claim")).first() is None
