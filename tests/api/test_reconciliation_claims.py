"""Credits that pay EU cost claims: matched by reference or amount, only from the state that owes the claim,
a claim paid once and whole, and the review workflow (confirm, reject, reverse) on claim matches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.reconciliation import service
from tests.api.claims_helpers import IBANS, ClaimWorld, R
from tests.api.test_errors import assert_problem

PAID_ON = date(2024, 4, 20)
#: Where DE's money waited since its statement was imported: the claim's payment takes it from there.
DE_RECEIVED = f"suspense:-:-:-:EUR:{IBANS['DE']}"


@pytest.fixture
def world(api, admin, officer, session, parties):
    return ClaimWorld(api, admin, officer, session, parties)


def _only_allocation(match: dict) -> dict:
    (allocation,) = match["allocations"]
    return allocation


def test_a_credit_quoting_the_claim_reference_pays_the_claim(world):
    claim = world.claim("1000.00")
    assert claim["reference"] == f"CC-{claim['id']}"
    (transfer,) = world.statement([("1000.00", f"Compensation {claim['reference']}", IBANS["FR"], PAID_ON)])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"], answer["unmatched_transfers"]) == (1, 0, 0)
    assert answer["per_rule"] == {"claim:reference/auto": 1}
    (match,) = world.claim_matches("auto")
    assert match["method"] == "reference" and match["transfer"] == transfer
    assert (match["payer"], match["payee"]) == ("DE", "FR")
    assert _only_allocation(match) == {"invoice": None, "claim": claim["id"], "amount": "1000.00",
                                       "written_off": "0.00"}
    assert match["evidence"]["claim"] == claim["reference"]
    paid = world.claim_now(claim["id"])
    assert paid["stage"] == "paid" and paid["paid_on"] == "2024-04-20"
    assert paid["payment_entry"] == match["journal_entry"]
    lines = world.entry(match["journal_entry"])
    assert sum(lines.values()) == 0
    assert lines[DE_RECEIVED] == Decimal("1000.00") and lines["cash:FR:-:-:EUR"] == Decimal("-1000.00")
    assert world.cash("DE") == Decimal("1000.00")
    assert world.transfer(transfer)["status"] == "matched"


def test_a_credit_of_the_exact_amount_from_the_issuing_state_matches_by_amount(world):
    claim = world.claim("750.00")
    world.statement([("750.00", "EU compensation", IBANS["FR"], PAID_ON)])
    assert world.run()["auto_matched"] == 1
    (match,) = world.claim_matches("auto")
    assert match["method"] == "amount" and _only_allocation(match)["claim"] == claim["id"]
    assert world.claim_now(claim["id"])["stage"] == "paid"


def test_a_refund_from_a_host_never_pays_a_claim(world):
    claim = world.claim("750.00")
    (refund,) = world.statement([("750.00", f"Refund {claim['reference']}", IBANS["RW"], PAID_ON)])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"], answer["unmatched_transfers"]) == (0, 0, 1)
    assert world.matches() == []
    assert world.transfer(refund)["status"] == "unmatched"
    assert world.claim_now(claim["id"])["stage"] == "accepted"


def test_a_credit_from_another_state_does_not_pay_the_claim(world):
    claim = world.claim("750.00")  # FR owes DE
    world.statement([("750.00", "EU compensation", IBANS["IT"], PAID_ON),
                     ("750.00", f"Paying {claim['reference']}", IBANS["IT"], date(2024, 4, 21))])
    assert world.run()["auto_matched"] == 0
    assert world.matches() == []
    assert world.claim_now(claim["id"])["stage"] == "accepted"


def test_a_credit_before_the_acceptance_does_not_pay_the_claim(world):
    claim = world.claim("750.00")  # accepted on 2024-04-01
    world.statement([("750.00", claim["reference"], IBANS["FR"], date(2024, 3, 30))])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"], answer["unmatched_transfers"]) == (0, 0, 1)
    assert world.claim_now(claim["id"])["stage"] == "accepted"


def test_part_of_a_claim_is_not_matched(world):
    claim = world.claim("750.00")
    world.statement([("500.00", claim["reference"], IBANS["FR"], PAID_ON)])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"], answer["unmatched_transfers"]) == (0, 0, 1)
    assert world.matches() == [] and world.claim_now(claim["id"])["stage"] == "accepted"


def test_two_claims_of_the_same_amount_are_proposed_then_confirmed(world):
    first, second = world.claim("600.00"), world.claim("600.00")
    (transfer,) = world.statement([("600.00", "EU compensation", IBANS["FR"], PAID_ON)])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"]) == (0, 1)
    (match,) = world.claim_matches("proposed")
    assert match["journal_entry"] is None
    chosen = _only_allocation(match)["claim"]
    assert chosen in (first["id"], second["id"])
    assert world.claim_now(chosen)["stage"] == "accepted"
    assert world.transfer(transfer)["status"] == "unmatched"
    items = service.proposed_open_items(world.session, "2024-04", None, None)["proposed_matches"]
    assert [(i["match"], i["invoices"], i["claims"]) for i in items] == [(match["id"], [], [chosen])]
    assert service.proposed_open_items(world.session, "2024-04", None, [1])["proposed_matches"] == []

    assert world.run()["proposed"] == 0  # a proposal waiting for review is not made again

    response = world.api.post(f"{R}/matches/{match['id']}/confirm", token=world.officer)
    assert response.status_code == 200, response.get_json()
    confirmed = response.get_json()
    assert confirmed["status"] == "confirmed" and confirmed["journal_entry"] is not None
    assert world.claim_now(chosen)["stage"] == "paid"
    assert world.claim_now(chosen)["payment_entry"] == confirmed["journal_entry"]
    other = second["id"] if chosen == first["id"] else first["id"]
    assert world.claim_now(other)["stage"] == "accepted"
    assert world.transfer(transfer)["status"] == "matched"
    assert world.cash("DE") == Decimal("600.00")


def test_a_rejected_pair_is_never_proposed_again(world):
    first, second = world.claim("600.00"), world.claim("600.00")
    (transfer,) = world.statement([("600.00", "EU compensation", IBANS["FR"], PAID_ON)])
    world.run()
    (match,) = world.claim_matches("proposed")
    refused = _only_allocation(match)["claim"]
    response = world.api.post(f"{R}/matches/{match['id']}/reject", json={"reason": "pays another claim"},
                              token=world.officer)
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    world.run()
    world.run()
    pairs = [(m["transfer"], _only_allocation(m)["claim"]) for m in world.claim_matches()]
    assert pairs.count((transfer, refused)) == 1  # only the rejected match itself
    assert world.claim_now(refused)["stage"] == "accepted"
    # The other claim is now the only one the credit can pay, but only because the officer refused its rival:
    # proposed for review, never paid automatically; confirming it pays it.
    other = second["id"] if refused == first["id"] else first["id"]
    (proposal,) = [m for m in world.claim_matches("proposed") if _only_allocation(m)["claim"] == other]
    assert proposal["transfer"] == transfer and world.claim_now(other)["stage"] == "accepted"
    response = world.api.post(f"{R}/matches/{proposal['id']}/confirm", token=world.officer)
    assert response.status_code == 200, response.get_json()
    assert world.claim_now(other)["stage"] == "paid"


def test_reversing_a_claim_match_reopens_the_claim_and_unallocates_the_credit(world):
    claim = world.claim("1000.00")
    (transfer,) = world.statement([("1000.00", claim["reference"], IBANS["FR"], PAID_ON)])
    world.run()
    (match,) = world.claim_matches("auto")
    response = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "bank recalled the credit"},
                              token=world.officer)
    assert response.status_code == 200, response.get_json()
    reversed_ = response.get_json()
    assert reversed_["status"] == "reversed" and reversed_["reversal_entry"] is not None
    again = world.claim_now(claim["id"])
    assert again["stage"] == "accepted" and again["paid_on"] is None and again["payment_entry"] is None
    assert world.transfer(transfer)["status"] == "unmatched"
    lines = world.entry(reversed_["reversal_entry"])
    assert lines[DE_RECEIVED] == Decimal("-1000.00") and sum(lines.values()) == 0
    assert world.cash("DE") == 0 and world.cash("FR") == 0
    second = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "again"}, token=world.officer)
    assert_problem(second, 409, "invalid_transition")


def test_a_paid_claim_cannot_be_paid_again_by_confirming(world):
    world.claim("600.00"), world.claim("600.00")  # two equal claims: the run can only propose
    world.statement([("600.00", "EU compensation", IBANS["FR"], PAID_ON)])
    world.run()
    (match,) = world.claim_matches("proposed")
    chosen = _only_allocation(match)["claim"]
    paid = world.api.post(f"/api/v1/cost-claims/{chosen}/payment", json={"paid_on": "2024-04-19"},
                          token=world.tokens["FR"])
    assert paid.status_code == 200, paid.get_json()
    response = world.api.post(f"{R}/matches/{match['id']}/confirm", token=world.officer)
    assert_problem(response, 409, "over_allocation")


def _by_hand(world, transfer: int, *allocations: dict):
    return world.api.post(f"{R}/matches", json={"transfer": transfer, "allocations": list(allocations)},
                          token=world.officer)


def test_an_officer_pays_a_claim_with_a_credit_by_hand_and_can_reverse_it(world):
    claim = world.claim("750.00")
    (transfer,) = world.statement([("800.00", "EU compensation and interest", IBANS["FR"], PAID_ON)])
    assert world.run()["auto_matched"] == 0  # 800 does not pay 750 whole: the run leaves it
    response = _by_hand(world, transfer, {"claim": claim["id"], "amount": "750.00"})
    assert response.status_code == 201, response.get_json()
    match = response.get_json()
    assert (match["status"], match["method"], match["confidence"]) == ("confirmed", "manual", "1")
    assert _only_allocation(match) == {"invoice": None, "claim": claim["id"], "amount": "750.00",
                                       "written_off": "0.00"}
    assert match["evidence"]["reason"] == "matched by hand" and match["evidence"]["claim"] == claim["reference"]
    paid = world.claim_now(claim["id"])
    assert paid["stage"] == "paid" and paid["payment_entry"] == match["journal_entry"]
    assert world.cash("DE") == Decimal("750.00")
    assert world.transfer(transfer)["status"] == "partially_matched"  # 50.00 of the credit is still unexplained

    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "paid the wrong claim"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    assert world.claim_now(claim["id"])["stage"] == "accepted" and world.cash("DE") == 0
    assert world.transfer(transfer)["status"] == "unmatched"


@pytest.mark.parametrize(("allocations", "code", "field"), [
    ([{"claim": "first", "amount": "700.00"}], "not_whole", "allocations.0.amount"),
    ([{"claim": "italian", "amount": "750.00"}], "party_mismatch", "allocations.0.claim"),
    ([{"claim": "first", "amount": "750.00"}, {"claim": "first", "amount": "750.00"}], "duplicate_claim",
     "allocations.1.claim"),
    ([{"claim": "first", "amount": "750.00"}, {"invoice": 1, "amount": "10.00"}], "mixed_allocations",
     "allocations"),
    ([{"claim": 999999, "amount": "750.00"}], "unknown_claim", "allocations.0.claim"),
    ([{"claim": "first", "invoice": "first", "amount": "750.00"}], "validation_error", "allocations.0.invoice"),
    ([{"amount": "750.00"}], "validation_error", "allocations.0.invoice"),
    ([{"invoice": 999999, "amount": "750.00"}], "unknown_invoice", "allocations.0.invoice"),
    ([{"claim": "first", "amount": "750.001"}], "validation_error", "allocations.0.amount"),
])
def test_a_credit_matched_by_hand_is_refused_with_the_reason_and_nothing_changes(world, allocations, code, field):
    first, italian = world.claim("750.00"), world.claim("750.00", issuing="IT")
    named = {"first": first["id"], "italian": italian["id"]}
    (transfer,) = world.statement([("750.00", "compensation", IBANS["FR"], PAID_ON)])
    body = [{k: named.get(v, v) if k != "amount" else v for k, v in item.items()} for item in allocations]
    response = _by_hand(world, transfer, *body)
    assert field in assert_problem(response, 422, code)["errors"]
    assert world.matches() == [] and world.claim_now(first["id"])["stage"] == "accepted"
    assert world.transfer(transfer)["status"] == "unmatched"


def test_a_credit_booked_before_the_acceptance_cannot_pay_the_claim_by_hand(world):
    claim = world.claim("750.00")  # accepted on 2024-04-01
    (transfer,) = world.statement([("750.00", claim["reference"], IBANS["FR"], date(2024, 3, 30))])
    assert_problem(_by_hand(world, transfer, {"claim": claim["id"], "amount": "750.00"}), 422, "before_acceptance")
    assert world.claim_now(claim["id"])["stage"] == "accepted"


def test_a_payment_out_cannot_pay_a_claim(world):
    claim = world.claim("750.00")
    (payment,) = world.statement([("-750.00", claim["reference"], IBANS["FR"], PAID_ON)])
    assert_problem(_by_hand(world, payment, {"claim": claim["id"], "amount": "750.00"}), 422, "not_a_credit")


def test_a_dry_run_counts_but_pays_nothing(world):
    claim = world.claim("750.00")
    world.statement([("750.00", claim["reference"], IBANS["FR"], PAID_ON)])
    answer = world.run(dry_run=True)
    assert (answer["auto_matched"], answer["transfers_considered"]) == (1, 1)
    assert world.matches() == [] and world.claim_now(claim["id"])["stage"] == "accepted"


def test_with_nothing_a_credit_could_settle_the_credits_are_counted_not_read(world, session):
    """No accepted claim nor credit note: the pass counts the credits in the database, as many as it would read."""
    from ledger.reconciliation import claims

    world.statement([("750.00", "EU compensation", IBANS["FR"], PAID_ON),
                     ("20.00", "Refund of charges", IBANS["RW"], PAID_ON)])
    answer = world.run()
    assert (answer["transfers_considered"], answer["unmatched_transfers"], answer["per_rule"]) == (2, 2, {})
    assert claims.count_open_credits(session) == len(claims.load_open(session).credits) == 2


def test_a_credit_quoting_two_claims_pays_both_with_one_entry_and_reverses_as_one(world):
    first, second = world.claim("750.00"), world.claim("250.00")
    (transfer,) = world.statement([("1000.00", f"Compensation {first['reference']} {second['reference']}",
                                    IBANS["FR"], PAID_ON)])
    answer = world.run()
    assert (answer["auto_matched"], answer["unmatched_transfers"]) == (1, 0)
    (match,) = world.claim_matches("auto")
    assert [(a["claim"], a["amount"]) for a in match["allocations"]] == [(first["id"], "750.00"),
                                                                        (second["id"], "250.00")]
    assert match["evidence"]["claim"] == f"{first['reference']}, {second['reference']}"
    assert {world.claim_now(c["id"])["payment_entry"] for c in (first, second)} == {match["journal_entry"]}
    lines = world.entry(match["journal_entry"])
    assert lines[DE_RECEIVED] == Decimal("1000.00") and sum(lines.values()) == 0
    assert world.transfer(transfer)["status"] == "matched"

    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "recalled"}, token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    assert [world.claim_now(c["id"])["stage"] for c in (first, second)] == ["accepted", "accepted"]
    assert world.cash("DE") == 0 and world.transfer(transfer)["status"] == "unmatched"


def test_a_credit_two_sets_of_claims_could_explain_is_proposed_and_a_rejection_covers_the_set(world):
    first, second, third = world.claim("750.00"), world.claim("250.00"), world.claim("250.00")
    (transfer,) = world.statement([("1000.00", "EU compensation", IBANS["FR"], PAID_ON)])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"]) == (0, 1)
    (match,) = world.claim_matches("proposed")
    proposed = sorted(a["claim"] for a in match["allocations"])
    assert proposed in ([first["id"], second["id"]], [first["id"], third["id"]])
    response = world.api.post(f"{R}/matches/{match['id']}/reject", json={"reason": "other claims"},
                              token=world.officer)
    assert response.status_code == 200, response.get_json()
    world.run()
    # Every pair of the rejected set is remembered: no set with the first claim is proposed again.
    again = world.claim_matches("proposed")
    assert all(first["id"] not in [a["claim"] for a in m["allocations"]] for m in again)
    assert world.transfer(transfer)["status"] == "unmatched"


def test_an_officer_pays_two_claims_with_one_credit_by_hand(world):
    first, second = world.claim("750.00"), world.claim("250.00")
    (transfer,) = world.statement([("1000.00", "EU compensation", IBANS["FR"], PAID_ON)])
    response = _by_hand(world, transfer, {"claim": first["id"], "amount": "750.00"},
                        {"claim": second["id"], "amount": "250.00"})
    assert response.status_code == 201, response.get_json()
    match = response.get_json()
    assert match["status"] == "confirmed" and len(match["allocations"]) == 2
    assert {world.claim_now(c["id"])["stage"] for c in (first, second)} == {"paid"}
    assert world.cash("DE") == Decimal("1000.00") and world.transfer(transfer)["status"] == "matched"


def test_a_reversed_claim_payment_is_not_matched_again_by_the_next_run(world):
    """"Paid the wrong claim": the next run leaves the pair alone; an officer can still pay it by hand."""
    claim = world.claim("1000.00")
    (transfer,) = world.statement([("1000.00", claim["reference"], IBANS["FR"], PAID_ON)])
    world.run()
    (match,) = world.claim_matches("auto")
    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "paid the wrong claim"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    again = world.run()
    assert (again["auto_matched"], again["proposed"]) == (0, 0)
    assert world.claim_now(claim["id"])["stage"] == "accepted" and world.transfer(transfer)["status"] == "unmatched"
    by_hand = _by_hand(world, transfer, {"claim": claim["id"], "amount": "1000.00"})
    assert by_hand.status_code == 201, by_hand.get_json()
    assert world.claim_now(claim["id"])["stage"] == "paid"
