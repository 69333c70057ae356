"""Late-payment interest (issue 23, point 6): proposed on overdue invoices, decided by an officer, never silent.

One person's March invoice (fee 20,000.00 + support 2,500.00 = 22,500.00) is due on 2026-05-02 and stays unpaid.
Figures by hand (Actual/365, simple, rounded half-even once):
  fixed 8.00 %, run to 2026-06-01: 3 May … 1 June = 30 days → 22,500 × 0.08 × 30 / 365 = 147.945… → 147.95;
  next run to 2026-07-01: 2 June … 1 July = 30 days → 147.95 again;
  ECB_MRO 4.15 % (from 2026-01-01) + 8.00 = 12.15 %, 30 days → 22,500 × 0.1215 × 30 / 365 = 224.691… → 224.69.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ledger.agreements.models import Obligation
from ledger.journal.models import JournalEntry, Period
from tests.api.invoices_helpers import TERMS, I, json_invoice, march_lines, setup_agreement

RUNS, PROPOSALS = "/api/v1/interest/runs", "/api/v1/interest/proposals"


def _overdue_invoice(api, admin, officer, rw, late_interest) -> dict:
    agreement = setup_agreement(api, admin, officer, rw, terms={**TERMS, "late_interest": late_interest}, count=1)
    invoice = api.post(I, json=json_invoice(agreement, lines=march_lines(agreement)), token=rw).get_json()
    approved = api.post(f"{I}/{invoice['id']}/approve", json={"overrides": []}, token=officer)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["amount_open"] == "22500.00"
    return agreement | {"invoice": invoice["id"]}


def _run(api, officer, as_of) -> dict:
    response = api.post(RUNS, json={"as_of": as_of}, token=officer)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_fixed_rate_proposed_then_accepted_as_an_obligation(api, admin, officer, parties, session):
    world = _overdue_invoice(api, admin, officer, parties["RW"], {"kind": "fixed", "rate_percent": "8.00"})
    before = session.execute(select(JournalEntry.id)).all()
    run = _run(api, officer, "2026-06-01")
    assert [(p["invoice"], p["from_date"], p["days"], p["rate_percent"], p["amount"], p["status"])
            for p in run["proposals"]] == [(world["invoice"], "2026-05-03", 30, "8.00", "147.95", "proposed")]
    assert session.execute(select(JournalEntry.id)).all() == before  # a run posts nothing
    # a second run while the proposal waits proposes nothing more
    assert _run(api, officer, "2026-06-15")["proposals"] == []

    proposal = run["proposals"][0]["id"]
    assert api.post(f"{PROPOSALS}/{proposal}/accept", token=parties["RW"]).status_code == 403
    accepted = api.post(f"{PROPOSALS}/{proposal}/accept", token=officer)
    assert accepted.status_code == 200, accepted.get_json()
    obligation = session.get(Obligation, accepted.get_json()["obligation"])
    assert (obligation.kind, obligation.amount, obligation.due_on.isoformat(), obligation.status) == (
        "late_interest", Decimal("147.95"), "2026-06-01", "accrued")
    again = api.post(f"{PROPOSALS}/{proposal}/accept", token=officer)
    assert again.status_code == 409 and again.get_json()["code"] == "already_decided"

    # the next window starts the day after the last one
    later = _run(api, officer, "2026-07-01")["proposals"]
    assert [(p["from_date"], p["days"], p["amount"]) for p in later] == [("2026-06-02", 30, "147.95")]
    rejected = api.post(f"{PROPOSALS}/{later[0]['id']}/reject", json={"reason": "waived: bank holiday"},
                        token=officer)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"

    # re-pricing never touches accepted interest, and the payee invoices it like any obligation
    assert api.post(f"/api/v1/agreements/{world['id']}/accrue", json={"period": "2026-06"},
                    token=officer).status_code == 200
    session.expire_all()
    assert session.execute(select(Obligation.id).where(Obligation.adjusts == obligation.key)).first() is None
    body = json_invoice(world, number="RW-INT-1", period="2026-06",
                        lines=[{"kind": "late_interest", "amount": "147.95"}])
    invoiced = api.post(I, json=body, token=parties["RW"]).get_json()
    assert (invoiced["status"], invoiced["lines"][0]["obligation"]) == ("accepted", obligation.id)


def test_reference_rate_plus_margin(api, admin, officer, parties):
    world = _overdue_invoice(api, admin, officer, parties["RW"],
                             {"kind": "reference", "reference": "ECB_MRO", "margin_percent": "8.00"})
    missing = _run(api, officer, "2026-06-01")
    assert missing["proposals"] == [] and [s["invoice"] for s in missing["skipped"]] == [world["invoice"]]
    as_number = api.post("/api/v1/reference-rates", json={"reference": "ECB_MRO", "effective_from": "2026-01-01",
                                                          "rate_percent": 4.15}, token=officer)
    assert as_number.status_code == 422 and "rate_percent" in as_number.get_json()["errors"]
    assert api.get("/api/v1/reference-rates", token=officer).get_json()["items"] == []
    recorded = api.post("/api/v1/reference-rates", json={"reference": "ECB_MRO", "effective_from": "2026-01-01",
                                                         "rate_percent": "4.15"}, token=officer)
    assert recorded.status_code == 201 and recorded.get_json()["rate_percent"] == "4.15"
    run = _run(api, officer, "2026-06-01")
    assert [(p["rate_percent"], p["basis"], p["amount"]) for p in run["proposals"]] == [
        ("12.15", "ECB_MRO 4.15 + 8.00", "224.69")]


def test_bad_input(api, admin, officer, parties):
    future = api.post(RUNS, json={"as_of": "2999-01-01"}, token=officer)
    assert future.status_code == 422 and future.get_json()["code"] == "future_date"
    for body, field in [({"reference": "LIBOR", "effective_from": "2026-01-01", "rate_percent": "4.00"}, "reference"),
                        ({"reference": "ECB_MRO", "effective_from": "2026-01-01", "rate_percent": "4.00001"},
                         "rate_percent")]:
        response = api.post("/api/v1/reference-rates", json=body, token=officer)
        assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    missing_reason = api.post(f"{PROPOSALS}/1/reject", json={}, token=officer)
    assert missing_reason.status_code == 422 and "reason" in missing_reason.get_json()["errors"]


def test_closing_a_month_proposes_its_interest_and_posts_none(api, admin, officer, parties, session):
    """At each close, interest is computed as of the month's last day: 3 May … 31 May = 29 days →
    22,500 × 0.08 × 29 / 365 = 143.013… → 143.01, proposed, not posted."""
    world = _overdue_invoice(api, admin, officer, parties["RW"], {"kind": "fixed", "rate_percent": "8.00"})
    earlier = session.execute(select(Period.period).where(Period.period < "2026-05").order_by(Period.period))
    for period in earlier.scalars().all():
        closed = api.post(f"/api/v1/settlements/{period}/close", token=officer)
        assert closed.status_code == 200, closed.get_json()
    assert api.get(PROPOSALS, token=officer).get_json()["items"] == []  # nothing overdue by 30 April
    before = session.execute(select(JournalEntry.id)).all()
    assert api.post("/api/v1/settlements/2026-05/close", token=officer).status_code == 200
    proposals = api.get(PROPOSALS, token=officer).get_json()["items"]
    assert [(p["invoice"], p["as_of"], p["from_date"], p["days"], p["amount"], p["status"]) for p in proposals] == [
        (world["invoice"], "2026-05-31", "2026-05-03", 29, "143.01", "proposed")]
    assert session.execute(select(JournalEntry.id)).all() == before  # the close posted no interest
