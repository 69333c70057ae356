"""Every date rule of Decision 2004/191/EC through the API, at and around each boundary: the decision's
age at enforcement (4 years), the claim's lateness (1 year), and the 3-month decision and payment
deadlines across month ends and leap years, as both sides see them in the overdue list."""

from datetime import date, timedelta

import pytest

from tests.api.recognition_flow import BASE, claim, decide, ensure_parties, recognised, submit_claim
from tests.api.test_errors import assert_problem


def _day(text: str) -> date:
    return date.fromisoformat(text)


# ---- 4 years between decision and enforcement (Art. 3(2)) --------------------------------------------

@pytest.mark.parametrize("decision_date, enforced_on, covered", [
    ("2020-03-15", "2024-03-14", True),   # a day under 4 years
    ("2020-03-15", "2024-03-15", True),   # exactly 4 years
    ("2020-03-15", "2024-03-16", False),  # one day over
    ("2020-02-29", "2024-02-29", True),   # leap day to leap day: exactly 4 years
    ("2020-02-29", "2024-03-01", False),
    ("2019-03-01", "2023-03-01", True),
    ("2019-02-28", "2023-02-28", True),
    ("2019-02-28", "2023-03-01", False),
    ("2021-12-31", "2025-12-31", True),
    ("2021-12-31", "2026-01-01", False),  # across the year end
])
def test_decision_age_at_enforcement(api, parties, decision_date, enforced_on, covered):
    rec = recognised(api, parties, "FR", "DE", decision_date, enforced_on=enforced_on)
    response = submit_claim(api, parties["DE"], rec["id"], enforced_on)
    if covered:
        assert response.status_code == 201, response.get_json()
    else:
        problem = assert_problem(response, 422, "decision_too_old")
        assert "decision_date" in problem["errors"]


# ---- 1 year between enforcement and the claim (Art. 3(3)) --------------------------------------------

@pytest.mark.parametrize("enforced_on, submitted_on, late", [
    ("2024-03-15", "2025-03-14", False),
    ("2024-03-15", "2025-03-15", False),  # exactly 1 year: in time
    ("2024-03-15", "2025-03-16", True),   # one day over: accepted for decision, flagged
    ("2024-02-29", "2025-02-28", False),  # a year from a leap day ends on 28 February
    ("2024-02-29", "2025-03-01", True),
    ("2023-02-28", "2024-02-28", False),
    ("2023-02-28", "2024-02-29", True),   # the leap day is already more than a year later
    ("2023-12-31", "2024-12-31", False),
    ("2023-12-31", "2025-01-01", True),
])
def test_claim_more_than_a_year_after_enforcement_is_flagged_late(api, parties, enforced_on, submitted_on, late):
    body = claim(api, parties, decision_date="2023-01-10", enforced_on=enforced_on, submitted_on=submitted_on)
    assert body["late"] is late
    assert ("late" in body["flags"]) is late
    assert _day(body["late_after"]) - _day(enforced_on) in (timedelta(days=365), timedelta(days=366))


def test_a_late_claim_can_still_be_accepted(api, parties):
    body = claim(api, parties, decision_date="2023-01-10", enforced_on="2024-03-15", submitted_on="2025-03-16")
    accepted = decide(api, parties["FR"], body["id"], "2025-04-01")
    assert accepted.status_code == 200 and accepted.get_json()["late"] is True
    assert accepted.get_json()["acceptance_entry"]


# ---- 3 months to decide (Art. 3(5)) ------------------------------------------------------------------

DECISION_DEADLINES = [
    ("2023-11-30", "2024-02-29"),  # into a leap February
    ("2022-11-30", "2023-02-28"),  # into a common February
    ("2023-11-29", "2024-02-29"),
    ("2024-08-31", "2024-11-30"),  # 31st into a 30-day month
    ("2024-01-31", "2024-04-30"),
    ("2024-12-31", "2025-03-31"),  # across the year end
    ("2024-03-15", "2024-06-15"),
]


def _overdue_ids(api, token, as_of, **filters):
    query = "&".join([f"overdue=true&as_of={as_of}"] + [f"{k}={v}" for k, v in filters.items()])
    return [c["id"] for c in api.get(f"{BASE}/cost-claims?{query}", token=token).get_json()["items"]]


@pytest.mark.parametrize("submitted_on, due", DECISION_DEADLINES)
def test_decision_deadline_and_overdue_list_for_both_sides(api, parties, officer, submitted_on, due):
    body = claim(api, parties, decision_date="2022-01-10", enforced_on="2022-06-01", submitted_on=submitted_on)
    assert body["decision_due_on"] == due
    due_day = _day(due)
    for token in (parties["FR"], parties["DE"], officer):  # the late issuing state and the waiting enforcing one
        assert body["id"] not in _overdue_ids(api, token, due_day)
        assert body["id"] in _overdue_ids(api, token, due_day + timedelta(days=1))
    on_time = api.get(f"{BASE}/cost-claims/{body['id']}?as_of={due}", token=parties["DE"]).get_json()
    assert (on_time["status"], on_time["overdue"], on_time["days_overdue"]) == ("awaiting_decision", None, 0)
    late = api.get(f"{BASE}/cost-claims/{body['id']}?as_of={due_day + timedelta(days=1)}",
                   token=parties["DE"]).get_json()
    assert (late["status"], late["overdue"], late["days_overdue"]) == ("decision_overdue", "decision", 1)


def test_a_decision_taken_later_does_not_hide_the_past_overdue(api, parties):
    body = claim(api, parties, decision_date="2022-01-10", enforced_on="2022-06-01", submitted_on="2023-11-30")
    decide(api, parties["FR"], body["id"], "2024-03-05")
    assert body["id"] in _overdue_ids(api, parties["DE"], "2024-03-04")
    assert body["id"] not in _overdue_ids(api, parties["DE"], "2024-03-05")  # decided: nothing overdue until payment


# ---- 3 months to pay, from acceptance (Art. 3(6)) ----------------------------------------------------

PAYMENT_DEADLINES = [
    ("2023-11-30", "2024-02-29"),
    ("2022-11-30", "2023-02-28"),
    ("2024-05-31", "2024-08-31"),
    ("2024-08-31", "2024-11-30"),
    ("2023-12-31", "2024-03-31"),
]


@pytest.mark.parametrize("accepted_on, due", PAYMENT_DEADLINES)
def test_payment_deadline_and_overdue_list(api, parties, accepted_on, due):
    body = claim(api, parties, decision_date="2022-01-10", enforced_on="2022-06-01", submitted_on="2022-08-01")
    accepted = decide(api, parties["FR"], body["id"], accepted_on).get_json()
    assert accepted["payment_due_on"] == due
    due_day = _day(due)
    for token in (parties["FR"], parties["DE"]):
        assert body["id"] not in _overdue_ids(api, token, due_day)
        assert body["id"] in _overdue_ids(api, token, due_day + timedelta(days=1))
    overdue = api.get(f"{BASE}/cost-claims/{body['id']}?as_of={due_day + timedelta(days=1)}",
                      token=parties["FR"]).get_json()
    assert (overdue["status"], overdue["overdue"]) == ("payment_overdue", "payment")
    paid_on = due_day + timedelta(days=3)
    api.post(f"{BASE}/cost-claims/{body['id']}/payment", json={"paid_on": str(paid_on)}, token=parties["FR"])
    assert body["id"] in _overdue_ids(api, parties["DE"], paid_on - timedelta(days=1))  # history is kept
    assert body["id"] not in _overdue_ids(api, parties["DE"], paid_on)
    assert api.get(f"{BASE}/cost-claims/{body['id']}?as_of={paid_on}", token=parties["DE"]).get_json()["status"] \
        == "paid"


def test_overdue_filter_false_and_state_filters(api, parties, admin, officer):
    ensure_parties(api, admin, parties, "IT")
    overdue = claim(api, parties, decision_date="2022-01-10", enforced_on="2022-06-01", submitted_on="2022-07-01")
    fresh = claim(api, parties, "IT", "DE", decision_date="2022-01-10", enforced_on="2022-06-01",
                  submitted_on="2022-09-30")
    assert _overdue_ids(api, officer, "2022-10-15") == [overdue["id"]]
    not_overdue = api.get(f"{BASE}/cost-claims?overdue=false&as_of=2022-10-15", token=officer).get_json()["items"]
    assert [c["id"] for c in not_overdue] == [fresh["id"]]
    assert _overdue_ids(api, officer, "2023-01-15", issuing_state="IT") == [fresh["id"]]
    assert _overdue_ids(api, officer, "2023-01-15", state="DE") == [overdue["id"], fresh["id"]]
    assert _overdue_ids(api, parties["IT"], "2023-01-15") == [fresh["id"]]


# ---- a later legal basis brings its own rules --------------------------------------------------------

LATER_BASIS = "TEST-LATER-BASIS"


@pytest.fixture
def later_basis():
    from ledger.recognition import rules

    if LATER_BASIS not in rules.legal_bases():
        rules.register_basis(rules.RuleSet(basis=LATER_BASIS, title="a later basis (test)",
                                           max_decision_age_years=5))
    return LATER_BASIS


def test_claims_follow_the_rules_of_their_orders_basis(api, parties, later_basis):
    old = recognised(api, parties, "FR", "DE", "2019-06-01", enforced_on="2024-01-15", legal_basis=later_basis)
    made = submit_claim(api, parties["DE"], old["id"], "2024-02-01")
    assert made.status_code == 201 and made.get_json()["legal_basis"] == later_basis
    same_dates = recognised(api, parties, "FR", "DE", "2019-06-01", enforced_on="2024-01-15")
    assert_problem(submit_claim(api, parties["DE"], same_dates["id"], "2024-02-01"), 422, "decision_too_old")
