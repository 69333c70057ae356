"""A host's refund of what a credit note left is matched to that note (the credits pass, after EU claims):
posted Dr suspense / Cr invoices_payable, reviewable like any match, and never mistaken for a payment."""

from __future__ import annotations

from datetime import date

from tests.api.recon_helpers import GB_ACCOUNT, RW_IBAN, R, entry_lines, rf_reference
from tests.api.test_errors import assert_problem


def test_a_refund_quoting_the_credit_note_settles_it(world, session):
    ref = rf_reference("RWCN1")
    note = world.credit_note("GB", "RW-CN-1", "750.00", ref)
    assert world.payable("GB") == -750  # RW owes GB
    (refund,) = world.statement([("750.00", f"Refund {ref}", RW_IBAN, date(2026, 5, 3))])
    run = world.run()
    assert run["auto_matched"] == 1 and run["unmatched_transfers"] == 0
    (match,) = world.matches("auto")
    assert match["transfer"] == refund and match["allocations"][0]["invoice"] == note
    assert match["allocations"][0]["claim"] is None and match["evidence"]["refunds_credit_note"] == "true"
    lines = {line[0]: line[1] for line in entry_lines(session, match["journal_entry"])}
    assert lines == {f"suspense:-:-:-:GBP:{GB_ACCOUNT}": "750.00",
                     f"invoices_payable:RW:GB:{world.agreements['GB']}:GBP": "-750.00"}
    note_row = world.invoice_row(note)
    assert (note_row.status, note_row.amount_open) == ("paid", 0)
    assert world.transfer(refund)["status"] == "matched" and world.payable("GB") == 0


def test_a_partial_refund_leaves_the_rest_of_the_credit_open(world):
    ref = rf_reference("RWCN2")
    note = world.credit_note("GB", "RW-CN-2", "500.00", ref)
    world.statement([("200.00", ref, RW_IBAN, date(2026, 5, 3))])
    world.run()
    (match,) = world.matches("auto")  # a strong reference, a known party: a partial refund posts at once
    assert match["method"] == "reference" and match["allocations"][0]["amount"] == "200.00"
    assert (world.invoice_row(note).status, world.invoice_row(note).amount_open) == ("approved", -300)


def test_a_payment_never_settles_a_credit_note_nor_a_refund_an_invoice(world):
    ref = rf_reference("RWCN3")
    note = world.credit_note("GB", "RW-CN-3", "400.00", ref)
    (payment,) = world.statement([("-400.00", ref, RW_IBAN, date(2026, 5, 3))])
    world.run()
    assert world.matches() == [] and world.transfer(payment)["status"] == "unmatched"
    assert world.invoice_row(note).amount_open == -400


def test_reversing_a_refund_opens_the_credit_again_and_rejecting_one_is_remembered(world, session):
    ref = rf_reference("RWCN4")
    note = world.credit_note("GB", "RW-CN-4", "900.00", ref)
    (refund,) = world.statement([("900.00", ref, RW_IBAN, date(2026, 5, 3))])
    world.run()
    (match,) = world.matches("auto")
    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "wrong account"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    assert reversed_.get_json()["status"] == "reversed"
    assert (world.invoice_row(note).status, world.invoice_row(note).amount_open) == ("approved", -900)
    assert world.transfer(refund)["status"] == "unmatched" and world.payable("GB") == -900
    assert_problem(world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "again"},
                                  token=world.officer), 409, "invalid_transition")


def test_a_refund_two_notes_could_explain_is_proposed_and_a_rejection_is_remembered(world):
    world.credit_note("GB", "RW-CN-5", "300.00")
    world.credit_note("GB", "RW-CN-6", "300.00")
    world.statement([("300.00", "money back", RW_IBAN, date(2026, 5, 3))])
    assert world.run()["auto_matched"] == 0
    (proposal,) = world.matches("proposed")
    rejected = world.api.post(f"{R}/matches/{proposal['id']}/reject", json={"reason": "not this note"},
                              token=world.officer)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    world.run()
    again = world.matches("proposed")
    assert all(m["allocations"][0]["invoice"] != proposal["allocations"][0]["invoice"] for m in again)


def _by_hand(world, transfer: int, invoice: int, amount: str):
    return world.api.post(f"{R}/matches", json={"transfer": transfer, "allocations": [
        {"invoice": invoice, "amount": amount}]}, token=world.officer)


def test_an_officer_matches_a_refund_to_its_credit_note_by_hand_in_part(world, session):
    note = world.credit_note("GB", "RW-CN-7", "500.00")
    (refund,) = world.statement([("200.00", "money back", RW_IBAN, date(2026, 5, 3))])
    response = _by_hand(world, refund, note, "200.00")
    assert response.status_code == 201, response.get_json()
    match = response.get_json()
    assert (match["status"], match["method"], match["allocations"][0]["invoice"]) == ("confirmed", "manual", note)
    assert match["evidence"]["refunds_credit_note"] == "true"
    lines = {line[0]: line[1] for line in entry_lines(session, match["journal_entry"])}
    assert lines == {f"suspense:-:-:-:GBP:{GB_ACCOUNT}": "200.00",
                     f"invoices_payable:RW:GB:{world.agreements['GB']}:GBP": "-200.00"}
    assert (world.invoice_row(note).status, world.invoice_row(note).amount_open) == ("approved", -300)
    assert world.transfer(refund)["status"] == "matched"
    assert_problem(_by_hand(world, refund, note, "200.00"), 409, "over_allocation")  # the credit is used up
    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "the other note"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    assert world.invoice_row(note).amount_open == -500 and world.transfer(refund)["status"] == "unmatched"


def test_a_credit_matched_by_hand_to_an_invoice_or_beyond_the_notes_credit_is_refused(world):
    invoice = world.invoice("GB", "RW-INV-9", "300.00")
    note = world.credit_note("GB", "RW-CN-9", "100.00")
    other = world.credit_note("DE", "RW-CN-10", "300.00")
    (refund,) = world.statement([("300.00", "money back", RW_IBAN, date(2026, 5, 3))])
    assert_problem(_by_hand(world, refund, invoice, "300.00"), 422, "not_a_credit_note")
    assert_problem(_by_hand(world, refund, note, "150.00"), 422, "over_allocation")
    assert_problem(_by_hand(world, refund, other, "300.00"), 422, "party_mismatch")
    assert world.matches() == [] and world.invoice_row(note).amount_open == -100
    assert world.transfer(refund)["status"] == "unmatched"


def test_a_reversed_refund_is_not_matched_again_by_the_next_run(world):
    ref = rf_reference("RWCN9")
    note = world.credit_note("GB", "RW-CN-9", "900.00", ref)
    (refund,) = world.statement([("900.00", ref, RW_IBAN, date(2026, 5, 3))])
    world.run()
    (match,) = world.matches("auto")
    assert world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "refund of another note"},
                          token=world.officer).status_code == 200
    again = world.run()
    assert (again["auto_matched"], again["proposed"]) == (0, 0)
    assert world.transfer(refund)["status"] == "unmatched" and world.invoice_row(note).amount_open == -900
