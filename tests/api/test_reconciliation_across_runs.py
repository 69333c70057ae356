"""What one run decided, or an officer did, holds on the next run: reversed pairs, repeats of paid invoices and
fits that are unique only because proposals or refusals took their rivals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.api.recon_helpers import RW_IBAN, R, rf_reference


def _posted(world, transfer: int) -> list[dict]:
    return [m for m in world.matches() if m["transfer"] == transfer and m["status"] in ("auto", "confirmed")]


def test_a_reversed_match_is_not_posted_again_by_the_next_run_but_can_be_matched_by_hand(world):
    ref = rf_reference("RWREV1")
    invoice = world.invoice("GB", "RW-REV-1", "2500.00", ref)
    (transfer,) = world.statement([("-2500.00", ref, RW_IBAN, date(2026, 5, 1))])
    assert world.run()["auto_matched"] == 1
    (match,) = world.matches("auto")
    response = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "paid the wrong invoice"},
                              token=world.officer)
    assert response.status_code == 200, response.get_json()
    assert world.invoice_row(invoice).status == "approved" and world.payable("GB") == 2500

    second = world.run()
    assert (second["transfers_considered"], second["auto_matched"], second["proposed"],
            second["unmatched_transfers"]) == (1, 0, 0, 1)
    assert [m["status"] for m in world.matches() if m["transfer"] == transfer] == ["reversed"]
    assert world.invoice_row(invoice).status == "approved" and world.invoice_row(invoice).amount_open == 2500
    assert world.transfer(transfer)["status"] == "unmatched" and world.payable("GB") == 2500
    assert world.run()["auto_matched"] == 0  # nor on any later run

    manual = world.api.post(f"{R}/matches", json={"transfer": transfer, "allocations": [
        {"invoice": invoice, "amount": "2500.00"}]}, token=world.officer)
    assert manual.status_code == 201, manual.get_json()
    assert manual.get_json()["status"] == "confirmed" and manual.get_json()["method"] == "manual"
    assert world.invoice_row(invoice).status == "paid" and world.payable("GB") == 0


def test_a_second_payment_quoting_a_paid_invoice_is_not_booked_to_another_invoice(world, session):
    from ledger.reconciliation.duplicates import possible_duplicates
    from ledger.statements.models import Transfer

    ref = rf_reference("RWTWICE1")
    a = world.invoice("GB", "RW-TWICE-A", "3000.00", ref)
    f = world.invoice("GB", "RW-TWICE-F", "3000.00", due_on=date(2026, 6, 2))
    (first,) = world.statement([("-3000.00", ref, RW_IBAN, date(2026, 5, 1))])
    assert world.run()["auto_matched"] == 1
    (paid,) = world.matches("auto")
    assert paid["transfer"] == first and [x["invoice"] for x in paid["allocations"]] == [a]
    assert world.invoice_row(a).status == "paid" and world.invoice_row(f).status == "approved"

    (again,) = world.statement([("-3000.00", ref, RW_IBAN, date(2026, 5, 20))])
    second = world.run()
    assert (second["auto_matched"], second["proposed"], second["unmatched_transfers"]) == (0, 0, 1)
    assert [m["transfer"] for m in world.matches()] == [first]
    assert world.invoice_row(f).status == "approved" and world.invoice_row(f).amount_open == 3000
    assert world.transfer(again)["status"] == "unmatched"
    assert world.payable("GB") == 3000  # F is still owed: the books do not say it was paid
    session.expire_all()
    found = possible_duplicates(session, [session.get(Transfer, again)])
    assert {t: (i.id, i.number) for t, i in found.items()} == {again: (a, "RW-TWICE-A")}


def test_a_fit_left_unique_by_a_rejection_and_another_proposal_is_only_proposed_on_the_next_run(world):
    """The remittance names J538 (a near miss of J583, whose proposal is rejected) and neither Y999 nor Z777; Y999
    has the same open amount as Z777 and is held by another transfer's unconfirmed proposal."""
    j583 = world.invoice("GB", "RW-2026-J583", "1200.00", due_on=date(2026, 5, 15))
    y999 = world.invoice("GB", "RW-2026-Y999", "1800.00", due_on=date(2026, 5, 2))
    z777 = world.invoice("GB", "RW-2026-Z777", "1800.00", due_on=date(2026, 5, 30))
    other, misquoted = world.statement([("-1800.00", "Monthly payment", RW_IBAN, date(2026, 5, 2)),
                                        ("-1800.00", "Invoice RW-2026-J538", RW_IBAN, date(2026, 5, 20))])
    assert world.transfer(misquoted)["remittance_information"] == "Invoice RW-2026-J538"
    first = world.run()
    assert (first["auto_matched"], first["proposed"]) == (0, 2)
    proposals = {m["transfer"]: m for m in world.matches("proposed")}
    near_miss = proposals[misquoted]
    assert near_miss["method"] == "near_miss_reference" and near_miss["allocations"][0]["invoice"] == j583
    assert proposals[other]["allocations"][0]["invoice"] == y999
    rejected = world.api.post(f"{R}/matches/{near_miss['id']}/reject", json={"reason": "not J583"},
                              token=world.officer)
    assert rejected.status_code == 200, rejected.get_json()

    second = world.run()
    assert (second["auto_matched"], second["proposed"]) == (0, 1)
    (proposal,) = [m for m in world.matches("proposed") if m["transfer"] == misquoted]
    assert proposal["method"] == "amount" and proposal["allocations"][0]["invoice"] == z777
    assert proposal["evidence"]["rivals_held_or_refused"] == str(y999)
    assert _posted(world, misquoted) == [] and world.matches("auto") == []
    assert world.invoice_row(z777).status == "approved" and world.invoice_row(z777).amount_open == 1800
    assert world.payable("GB") == Decimal("4800.00")
