"""EU mutual recognition through the API: the workflow, who may act, the state machine, the assessment
of claims and the journal entries that acceptance and payment post."""

import json
from pathlib import Path

from sqlalchemy import select

from ledger.journal.models import Account, JournalEntry, Posting
from ledger.recognition.models import ReturnOrder
from tests.api.recognition_flow import (
    BASE,
    claim,
    decide,
    ensure_parties,
    order,
    recognised,
    simple_lines,
    submit_claim,
)
from tests.api.test_errors import assert_problem

WORKED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "recognition"
                     / "claim_worked_example.json").read_text())


# ---- return orders -----------------------------------------------------------------------------------

def test_order_keeps_only_a_pseudonym_of_the_case(api, parties, session):
    made = order(api, parties["FR"], "FR", sis_alert_ref="SIS-RET-1", european_return_order_ref="ERO-9")
    assert "case_ref" not in made and len(made["pseudonym"]) == 64
    assert made["legal_basis"] == "2001/40/EC+2004/191/EC" and made["recognitions"] == []
    again = order(api, parties["FR"], "FR")
    assert again["pseudonym"] == made["pseudonym"]  # same case, same pseudonym
    stored = session.get(ReturnOrder, made["id"])
    assert "CASE-SECRET" not in json.dumps({c: str(getattr(stored, c)) for c in ReturnOrder.model_fields})
    audit = api.get(f"{BASE}/audit", token=api.token("auditor")).get_data(as_text=True)
    assert "CASE-SECRET" not in audit


def test_finance_officer_records_an_order_and_another_state_may_not(api, parties, officer):
    assert order(api, officer, "FR")["issuing_state"] == "FR"
    body = {"issuing_state": "FR", "decision_ref": "X-1", "decision_date": "2024-01-01", "ground": "public_order",
            "case_ref": "C-1"}
    assert_problem(api.post(f"{BASE}/return-orders", json=body, token=parties["DE"]), 403, "forbidden")
    assert_problem(api.post(f"{BASE}/return-orders", json=body, token=api.token("auditor")), 403, "forbidden")


def test_order_rules(api, parties):
    body = {"issuing_state": "FR", "decision_ref": "X-2", "decision_date": "2024-01-01", "ground": "public_order",
            "case_ref": "C-2"}
    assert api.post(f"{BASE}/return-orders", json=body, token=parties["FR"]).status_code == 201
    assert_problem(api.post(f"{BASE}/return-orders", json=body, token=parties["FR"]), 409, "duplicate_return_order")
    future = {**body, "decision_ref": "X-3", "decision_date": "2999-01-01"}
    assert_problem(api.post(f"{BASE}/return-orders", json=future, token=parties["FR"]), 422, "decision_in_future")
    basis = {**body, "decision_ref": "X-4", "legal_basis": "COM(2025)101"}
    problem = assert_problem(api.post(f"{BASE}/return-orders", json=basis, token=parties["FR"]), 422,
                             "unknown_legal_basis")
    assert "legal_basis" in problem["errors"]
    ground = {**body, "decision_ref": "X-5", "ground": "overstay"}
    assert "ground" in assert_problem(api.post(f"{BASE}/return-orders", json=ground, token=parties["FR"]), 422,
                                      "validation_error")["errors"]


def test_partners_see_only_orders_they_are_a_side_of(api, parties, admin):
    ensure_parties(api, admin, parties, "IT")
    rec = recognised(api, parties, "FR", "DE")
    order_id = rec["return_order"]
    assert api.get(f"{BASE}/return-orders/{order_id}", token=parties["DE"]).status_code == 200
    assert_problem(api.get(f"{BASE}/return-orders/{order_id}", token=parties["IT"]), 404, "not_found")
    assert_problem(api.get(f"{BASE}/recognitions/{rec['id']}", token=parties["IT"]), 404, "not_found")
    assert [o["id"] for o in api.get(f"{BASE}/return-orders", token=parties["DE"]).get_json()["items"]] == [order_id]
    assert api.get(f"{BASE}/return-orders", token=parties["IT"]).get_json()["items"] == []


# ---- recognition workflow ----------------------------------------------------------------------------

def test_recognition_workflow_and_each_side_acts_only_for_itself(api, parties):
    made = order(api, parties["FR"], "FR", "2024-01-15")
    url = f"{BASE}/return-orders/{made['id']}/recognitions"
    request = {"enforcing_state": "DE", "requested_on": "2024-01-20"}
    assert_problem(api.post(url, json=request, token=parties["DE"]), 404, "not_found")  # DE is not a side yet
    rec = api.post(url, json=request, token=parties["FR"])
    assert rec.status_code == 201 and rec.get_json()["status"] == "requested" and rec.headers["ETag"]
    rec_id = rec.get_json()["id"]
    assert_problem(api.post(url, json=request, token=parties["FR"]), 409, "recognition_exists")
    decision = {"recognised": True, "decided_on": "2024-01-25"}
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/decision", json=decision, token=parties["FR"]), 403,
                   "forbidden")
    enforce = {"enforced_on": "2024-02-01", "notified_on": "2024-02-02"}
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/enforcement", json=enforce, token=parties["DE"]), 409,
                   "not_recognised")
    stale = rec.headers["ETag"]
    done = api.post(f"{BASE}/recognitions/{rec_id}/decision", json=decision, token=parties["DE"])
    assert done.get_json()["status"] == "recognised" and done.get_json()["recognised"] is True
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/decision", json=decision, token=parties["DE"]), 409,
                   "already_decided")
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/enforcement", json=enforce, token=parties["DE"],
                            headers={"If-Match": stale}), 412, "precondition_failed")
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/enforcement", json=enforce, token=parties["FR"]), 403,
                   "forbidden")
    enforced = api.post(f"{BASE}/recognitions/{rec_id}/enforcement", json=enforce, token=parties["DE"]).get_json()
    assert enforced["status"] == "enforced" and enforced["notified_on"] == "2024-02-02"
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/enforcement", json=enforce, token=parties["DE"]), 409,
                   "already_enforced")
    listed = api.get(f"{BASE}/return-orders/{made['id']}", token=parties["DE"]).get_json()
    assert listed["recognitions"][0]["status"] == "enforced"


def test_recognition_rules(api, parties, admin):
    made = order(api, parties["FR"], "FR", "2024-01-15")
    url = f"{BASE}/return-orders/{made['id']}/recognitions"
    assert_problem(api.post(url, json={"enforcing_state": "FR", "requested_on": "2024-02-01"}, token=parties["FR"]),
                   422, "same_state")
    assert_problem(api.post(url, json={"enforcing_state": "ES", "requested_on": "2024-02-01"}, token=parties["FR"]),
                   422, "unknown_party")
    assert_problem(api.post(url, json={"enforcing_state": "DE", "requested_on": "2024-01-14"}, token=parties["FR"]),
                   422, "requested_before_decision")
    rec_id = api.post(url, json={"enforcing_state": "DE", "requested_on": "2024-01-15"},
                      token=parties["FR"]).get_json()["id"]
    refuse = {"recognised": False, "decided_on": "2024-01-20"}
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/decision", json=refuse, token=parties["DE"]), 422,
                   "refusal_reason_required")
    refused = api.post(f"{BASE}/recognitions/{rec_id}/decision", json={**refuse, "reason": "person not found"},
                       token=parties["DE"]).get_json()
    assert refused["status"] == "refused" and refused["recognised"] is False
    assert_problem(api.post(f"{BASE}/recognitions/{rec_id}/enforcement", json={"enforced_on": "2024-02-01"},
                            token=parties["DE"]), 409, "recognition_refused")


def test_enforcement_dates_are_checked(api, parties):
    rec = recognised(api, parties, "FR", "DE", "2024-01-15", decided_on="2024-01-20")
    url = f"{BASE}/recognitions/{rec['id']}/enforcement"
    assert_problem(api.post(url, json={"enforced_on": "2024-01-19"}, token=parties["DE"]), 422,
                   "enforced_before_recognition")
    assert_problem(api.post(url, json={"enforced_on": "2024-01-21", "notified_on": "2024-01-20"},
                            token=parties["DE"]), 422, "notified_before_enforcement")


# ---- cost claims -------------------------------------------------------------------------------------

def test_no_claim_before_enforcement_and_only_one_per_enforcement(api, parties):
    rec = recognised(api, parties, "FR", "DE")
    assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-01"), 409, "not_enforced")
    enforced = api.post(f"{BASE}/recognitions/{rec['id']}/enforcement", json={"enforced_on": "2024-02-01"},
                        token=parties["DE"])
    assert enforced.status_code == 200
    assert_problem(submit_claim(api, parties["FR"], rec["id"], "2024-03-01"), 403, "forbidden")
    assert submit_claim(api, parties["DE"], rec["id"], "2024-03-01").status_code == 201
    assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-01"), 409, "claim_exists")
    assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-01-31"), 409, "claim_exists")


def test_worked_example_shows_allowed_beside_claimed(api, parties, officer):
    for rate in WORKED["allowance_rates"]:
        response = api.post(f"{BASE}/parties/DE/allowance-rates", json=rate, token=parties["DE"])
        assert response.status_code == 201, response.get_json()
    rec = recognised(api, parties, "FR", "DE", WORKED["decision_date"], enforced_on=WORKED["enforced_on"])
    response = submit_claim(api, parties["DE"], rec["id"], WORKED["submitted_on"], WORKED["lines"],
                            WORKED["currency"], WORKED["recovered_from_person"])
    assert response.status_code == 201, response.get_json()
    body, expected = response.get_json(), WORKED["expected"]
    assert [{k: line[k] for k in ("claimed", "allowed", "flags")} for line in body["lines"]] == expected["lines"]
    for name in ("claimed", "allowed", "payable", "late", "late_after", "decision_due_on"):
        assert body[name] == expected[name], name
    assert body["recovered_from_person"] == expected["recovered"] and body["flags"] == ["late"]
    escort = body["lines"][4]
    assert escort["daily_rate"] == "64.00" and escort["rate_effective_from"] == "2020-01-01"
    assert body["status"] == "decision_overdue" or body["status"] == "awaiting_decision"
    read = api.get(f"{BASE}/cost-claims/{body['id']}?as_of=2023-12-01", token=parties["FR"]).get_json()
    assert read["status"] == "awaiting_decision" and read["lines"] == body["lines"]


def test_escort_line_without_a_rate_is_allowed_as_claimed_and_flagged(api, parties):
    lines = [{"category": "escort_allowance", "amount": "600.00", "evidence_ref": "E-1", "days": 2, "escorts": 3}]
    body = claim(api, parties, lines=lines)
    assert body["lines"][0]["allowed"] == "600.00" and body["lines"][0]["flags"] == ["no_rate"]


def test_ineligible_line_is_named(api, parties):
    rec = recognised(api, parties, "FR", "DE", enforced_on="2024-03-01")
    lines = simple_lines() + [{"category": "detention", "amount": "10.00", "evidence_ref": "D-1"}]
    problem = assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-02", lines), 422,
                             "ineligible_category")
    assert problem["line"] == 1 and "lines.1.category" in problem["errors"]
    hotel = [{"category": "escort_accommodation", "amount": "90.00", "evidence_ref": "H-1", "location": "home"}]
    problem = assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-02", simple_lines() + hotel), 422,
                             "ineligible_location")
    assert problem["line"] == 1 and "lines.1.location" in problem["errors"]
    fare = [{"category": "transport_air", "amount": "90.00", "evidence_ref": "T-1"}]
    assert "lines.0.reference_fare" in assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-02", fare),
                                                      422, "reference_fare_required")["errors"]


def test_amounts_must_fit_the_claim_currency(api, parties):
    rec = recognised(api, parties, "FR", "DE", enforced_on="2024-03-01")
    problem = assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-02", simple_lines("10.5"),
                                          currency="JPY", recovered="0"), 422, "validation_error")
    assert "lines.0.amount" in problem["errors"]
    problem = assert_problem(api.post(f"{BASE}/cost-claims", token=parties["DE"], json={
        "recognition": rec["id"], "submitted_on": "2024-03-02", "currency": "EUR", "lines": [
            {"category": "visa_fee", "amount": 10.5, "evidence_ref": "V"}]}), 422, "validation_error")
    assert "lines.0.amount" in problem["errors"]


def test_recovered_costs_are_deducted(api, parties):
    body = claim(api, parties, lines=simple_lines("300.00"), recovered="120.00")
    assert (body["claimed"], body["allowed"], body["payable"]) == ("300.00", "300.00", "180.00")


# ---- decisions, journal, payment ---------------------------------------------------------------------

def _entries(session, source_type, claim_id):
    entries = session.execute(select(JournalEntry).where(JournalEntry.source_type == source_type,
                                                         JournalEntry.source_id == str(claim_id))).scalars().all()
    return [
        (e, {a.code: str(p.amount) for p, a in session.execute(
            select(Posting, Account).join(Account, Account.id == Posting.account_id)
            .where(Posting.entry_id == e.id)).all()})
        for e in entries
    ]


def test_acceptance_posts_receivable_and_payable_and_payment_moves_cash(api, parties, session):
    made = claim(api, parties, lines=simple_lines("250.00"), recovered="50.00")
    assert_problem(decide(api, parties["DE"], made["id"], "2024-04-01"), 403, "forbidden")
    pay = {"paid_on": "2024-05-01"}
    assert_problem(api.post(f"{BASE}/cost-claims/{made['id']}/payment", json=pay, token=parties["FR"]), 409,
                   "not_accepted")
    accepted = decide(api, parties["FR"], made["id"], "2024-04-01")
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["status"] in ("payment_overdue", "awaiting_payment") and body["payment_due_on"] == "2024-07-01"
    assert body["accepted"] is True and body["acceptance_entry"]
    assert_problem(decide(api, parties["FR"], made["id"], "2024-04-02"), 409, "already_decided")
    [(entry, lines)] = _entries(session, "cost_claim", made["id"])
    assert entry.effective_date.isoformat() == "2024-04-01" and entry.period == "2024-04"
    assert lines == {"claims_receivable:DE:FR:-:EUR": "200.0000", "compensation_income:DE:FR:-:EUR": "-200.0000",
                     "compensation_expense:FR:DE:-:EUR": "200.0000", "claims_payable:FR:DE:-:EUR": "-200.0000"}
    assert_problem(api.post(f"{BASE}/cost-claims/{made['id']}/payment", json=pay, token=parties["DE"]), 403,
                   "forbidden")
    assert_problem(api.post(f"{BASE}/cost-claims/{made['id']}/payment", json={"paid_on": "2024-03-31"},
                            token=parties["FR"]), 422, "paid_before_acceptance")
    paid = api.post(f"{BASE}/cost-claims/{made['id']}/payment", json=pay, token=parties["FR"]).get_json()
    assert paid["status"] == "paid" and paid["paid_on"] == "2024-05-01" and paid["payment_entry"]
    [(_, cash)] = _entries(session, "cost_claim_payment", made["id"])
    assert cash == {"claims_payable:FR:DE:-:EUR": "200.0000", "cash:FR:-:-:EUR": "-200.0000",
                    "cash:DE:-:-:EUR": "200.0000", "claims_receivable:DE:FR:-:EUR": "-200.0000"}
    assert_problem(api.post(f"{BASE}/cost-claims/{made['id']}/payment", json=pay, token=parties["FR"]), 409,
                   "already_paid")


def test_acceptance_in_a_closed_period_lands_in_the_first_open_one(api, parties, session, runner):
    from ledger.journal.service import close_period

    made = claim(api, parties)
    with api.app.app_context():
        s = api.app.extensions["ledger.db"].new_session()
        close_period(s, "2024-04")
        s.commit()
        s.close()
    decide(api, parties["FR"], made["id"], "2024-04-10")
    [(entry, _)] = _entries(session, "cost_claim", made["id"])
    assert entry.effective_date.isoformat() == "2024-04-10" and entry.period == "2024-05"


def test_refusal_needs_a_reason_and_posts_nothing(api, parties, session):
    made = claim(api, parties)
    assert_problem(decide(api, parties["FR"], made["id"], "2024-04-01", accepted=False), 422,
                   "refusal_reason_required")
    assert_problem(decide(api, parties["FR"], made["id"], "2024-03-09"), 422, "decided_before_submission")
    refused = decide(api, parties["FR"], made["id"], "2024-04-01", accepted=False, reason="no boarding pass")
    assert refused.get_json()["status"] == "refused" and refused.get_json()["reason"] == "no boarding pass"
    assert _entries(session, "cost_claim", made["id"]) == []
    assert_problem(api.post(f"{BASE}/cost-claims/{made['id']}/payment", json={"paid_on": "2024-05-01"},
                            token=parties["FR"]), 409, "claim_refused")


def test_nothing_payable_is_settled_on_acceptance(api, parties, session):
    made = claim(api, parties, lines=simple_lines("100.00"), recovered="150.00")
    assert made["payable"] == "0.00" and made["flags"] == ["recovered_exceeds_allowed"]
    body = decide(api, parties["FR"], made["id"], "2024-04-01").get_json()
    assert body["status"] == "paid" and body["paid_on"] == "2024-04-01"
    assert _entries(session, "cost_claim", made["id"]) == []


def test_claim_decision_honours_if_match(api, parties):
    made = claim(api, parties)
    read = api.get(f"{BASE}/cost-claims/{made['id']}", token=parties["FR"])
    assert_problem(api.post(f"{BASE}/cost-claims/{made['id']}/decision", token=parties["FR"],
                            json={"accepted": True, "decided_on": "2024-04-01"}, headers={"If-Match": '"x"'}),
                   412, "precondition_failed")
    ok = api.post(f"{BASE}/cost-claims/{made['id']}/decision", token=parties["FR"],
                  json={"accepted": True, "decided_on": "2024-04-01"}, headers={"If-Match": read.headers["ETag"]})
    assert ok.status_code == 200 and ok.headers["ETag"] != read.headers["ETag"]


def test_claims_are_scoped_to_their_two_states(api, parties, admin, officer):
    ensure_parties(api, admin, parties, "IT")
    made = claim(api, parties)
    assert_problem(api.get(f"{BASE}/cost-claims/{made['id']}", token=parties["IT"]), 404, "not_found")
    assert_problem(decide(api, parties["IT"], made["id"], "2024-04-01"), 404, "not_found")
    assert api.get(f"{BASE}/cost-claims", token=parties["IT"]).get_json()["items"] == []
    assert [c["id"] for c in api.get(f"{BASE}/cost-claims", token=parties["DE"]).get_json()["items"]] == [made["id"]]
    assert api.get(f"{BASE}/cost-claims?state=IT", token=officer).get_json()["items"] == []
    assert decide(api, officer, made["id"], "2024-04-01").status_code == 200  # staff may act for either side


# ---- allowance rates ---------------------------------------------------------------------------------

def test_allowance_rates_by_their_own_state_or_staff(api, parties, officer):
    rate = {"effective_from": "2024-01-01", "daily_rate": "64.00", "currency": "EUR"}
    assert_problem(api.post(f"{BASE}/parties/DE/allowance-rates", json=rate, token=parties["FR"]), 403, "forbidden")
    assert api.post(f"{BASE}/parties/DE/allowance-rates", json=rate, token=parties["DE"]).status_code == 201
    assert_problem(api.post(f"{BASE}/parties/DE/allowance-rates", json=rate, token=officer), 409, "rate_exists")
    later = {**rate, "effective_from": "2025-01-01", "daily_rate": "70.00"}
    assert api.post(f"{BASE}/parties/DE/allowance-rates", json=later, token=officer).status_code == 201
    bad = {**rate, "effective_from": "2026-01-01", "daily_rate": "0.00"}
    assert "daily_rate" in assert_problem(api.post(f"{BASE}/parties/DE/allowance-rates", json=bad, token=officer),
                                          422, "validation_error")["errors"]
    listed = api.get(f"{BASE}/parties/DE/allowance-rates", token=parties["FR"]).get_json()["items"]
    assert [(r["effective_from"], r["daily_rate"]) for r in listed] == [("2024-01-01", "64.00"),
                                                                        ("2025-01-01", "70.00")]
    assert_problem(api.get(f"{BASE}/parties/ZZ/allowance-rates", token=officer), 404, "not_found")


# ---- demo and command line ---------------------------------------------------------------------------

def test_demo_seeds_an_accepted_and_an_overdue_claim(api, runner, officer):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "demo France" in result.output
    claims = api.get(f"{BASE}/cost-claims", token=officer).get_json()["items"]
    assert {(c["issuing_state"], c["enforcing_state"]) for c in claims} == {("FR", "DE"), ("IT", "DE")}
    assert sorted(c["status"] for c in claims) == ["awaiting_payment", "decision_overdue", "paid"]
    accepted = next(c for c in claims if c["status"] == "awaiting_payment")
    assert accepted["lines"][1]["flags"] == ["capped"] and accepted["acceptance_entry"]
    assert [c["id"] for c in api.get(f"{BASE}/cost-claims?overdue=true", token=officer).get_json()["items"]] \
        == [next(c["id"] for c in claims if c["status"] == "decision_overdue")]
    from ledger.timeutil import today

    [eur] = api.get(f"{BASE}/settlements/{today().isoformat()[:7]}/netting", token=officer).get_json()["currencies"]
    assert eur["transfers"] == [{"payer": "FR", "payee": "DE", "amount": accepted["payable"]}]
    overdue = runner.invoke(args=["claims", "overdue", "--json", "--state", "DE"])
    assert overdue.exit_code == 0, overdue.output
    [item] = json.loads(overdue.output)["items"]
    assert item["overdue"] == "decision" and item["issuing_state"] == "FR" and item["days_overdue"] > 0


def test_cli_lists_overdue_claims_most_overdue_first(api, parties, runner):
    first = claim(api, parties, decision_date="2022-01-10", enforced_on="2022-06-01", submitted_on="2022-07-01")
    second = claim(api, parties, decision_date="2022-01-10", enforced_on="2022-06-01", submitted_on="2022-06-15")
    result = runner.invoke(args=["claims", "overdue", "--as-of", "2022-10-15"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [f"claim {second['id']}", f"claim {first['id']}"]
    assert "FR owes DE\tdecision due 2022-09-15\t30 days overdue" in lines[0]
    assert runner.invoke(args=["claims", "overdue", "--as-of", "2022-09-01"]).output.startswith("no overdue")


def test_an_enforcing_state_sees_only_its_own_recognition_of_an_order(api, parties, admin):
    ensure_parties(api, admin, parties, "IT")
    made = order(api, parties["FR"], "FR")
    for state in ("DE", "IT"):
        api.post(f"{BASE}/return-orders/{made['id']}/recognitions", token=parties["FR"],
                 json={"enforcing_state": state, "requested_on": "2024-01-15"})
    seen_by = {code: [r["enforcing_state"] for r in api.get(f"{BASE}/return-orders/{made['id']}",
                                                            token=parties[code]).get_json()["recognitions"]]
               for code in ("FR", "DE", "IT")}
    assert seen_by == {"FR": ["DE", "IT"], "DE": ["DE"], "IT": ["IT"]}


def test_posting_an_order_twice_with_one_idempotency_key_records_it_once(api, parties):
    body = {"issuing_state": "FR", "decision_ref": "IDEM-1", "decision_date": "2024-01-01",
            "ground": "entry_residence_rules", "case_ref": "C-IDEM"}
    headers = {"Idempotency-Key": "order-idem-1"}
    first = api.post(f"{BASE}/return-orders", json=body, token=parties["FR"], headers=headers)
    again = api.post(f"{BASE}/return-orders", json=body, token=parties["FR"], headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json()["id"] == first.get_json()["id"]
    assert "C-IDEM" not in again.get_data(as_text=True)


def test_claims_filter_by_stage(api, parties, officer):
    first, second = claim(api, parties), claim(api, parties)
    decide(api, parties["FR"], second["id"], "2024-04-01")
    stages = {s: [c["id"] for c in api.get(f"{BASE}/cost-claims?stage={s}", token=officer).get_json()["items"]]
              for s in ("submitted", "accepted", "refused")}
    assert stages == {"submitted": [first["id"]], "accepted": [second["id"]], "refused": []}
    assert first["stage"] == "submitted"


def test_a_claim_with_two_wrong_lines_hears_of_both_in_one_problem(api, parties):
    rec = recognised(api, parties, "FR", "DE", enforced_on="2024-03-01")
    lines = [{"category": "visa_fee", "amount": "60.00", "evidence_ref": "VISA-1", "days": 2},
             {"category": "transport_air", "amount": "900.00", "evidence_ref": "TKT-1"}]
    body = assert_problem(submit_claim(api, parties["DE"], rec["id"], "2024-03-10", lines), 422,
                          "field_not_applicable")  # the first problem's code, as a single problem had
    assert set(body["errors"]) == {"lines.0.days", "lines.1.reference_fare"}
    assert body["errors"]["lines.1.reference_fare"] == ["line 1: transport_air is capped at a reference fare"]
    assert body["line"] == 0 and body["detail"] == "line 0: days does not apply to visa_fee"


def test_a_refusal_dated_before_the_claim_and_without_reasons_hears_of_both(api, parties):
    submitted = claim(api, parties, "FR", "DE", enforced_on="2024-03-01", submitted_on="2024-03-10")
    body = assert_problem(decide(api, parties["FR"], submitted["id"], "2024-03-05", accepted=False), 422,
                          "decided_before_submission")
    assert set(body["errors"]) == {"decided_on", "reason"}
