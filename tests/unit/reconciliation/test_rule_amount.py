"""Rule 2 alone (`matching.amount`): amount, party and date window, in its three passes."""

from datetime import date
from decimal import Decimal

from ledger.reconciliation.matching.amount import by_amount
from tests.unit.reconciliation.factories import invoice, run_state, transfer


def test_exact_pass_takes_the_one_invoice_with_exactly_the_amount_even_with_others_within_tolerance():
    run = run_state([invoice("I1", "1000.00"), invoice("I2", "1010.00")], [transfer("T1", "1000.00")])
    by_amount(run, "exact")
    (proposal,) = run.proposals
    assert ([a.invoice_id for a in proposal.allocations], proposal.status) == (["I1"], "auto")
    assert proposal.evidence["other_invoices_within_tolerance"] == "1"


def test_exact_pass_leaves_an_amount_that_fits_only_within_tolerance():
    run = run_state([invoice("I1", "1000.00")], [transfer("T1", "990.00")])
    by_amount(run, "exact")
    assert run.proposals == []


def test_tolerance_pass_settles_in_full_and_books_the_difference_to_bank_charges():
    run = run_state([invoice("I1", "1000.00")], [transfer("T1", "990.00")])
    by_amount(run, "tolerance")
    (proposal,) = run.proposals
    assert (proposal.status, proposal.confidence, proposal.residual_account) == ("auto", Decimal("0.85"),
                                                                                  "bank_charges")
    assert proposal.residual.amount == Decimal("10.00") and run.open["I1"] == 0


def test_ambiguous_pass_proposes_the_nearest_due_date_of_several_fits():
    run = run_state([invoice("I1", due_on=date(2026, 5, 20)), invoice("I2", due_on=date(2026, 5, 2))],
                    [transfer("T1")])
    by_amount(run, "ambiguous")
    (proposal,) = run.proposals
    assert ([a.invoice_id for a in proposal.allocations], proposal.status) == (["I2"], "proposed")
    assert proposal.evidence["candidates"] == "2"


def test_an_invoice_out_of_the_date_window_is_not_a_candidate():
    run = run_state([invoice("I1", due_on=date(2025, 1, 2))], [transfer("T1")])
    by_amount(run, "ambiguous")
    assert run.proposals == []


def test_a_fit_unique_only_because_its_rival_was_refused_waits_for_the_ambiguous_pass():
    invoices = [invoice("I1"), invoice("I2", due_on=date(2026, 5, 3))]
    run = run_state(invoices, [transfer("T1")], rejected={("T1", "I2")})
    by_amount(run, "exact")
    assert run.proposals == []
    by_amount(run, "ambiguous")
    (proposal,) = run.proposals
    assert proposal.status == "proposed" and proposal.evidence["rivals_held_or_refused"] == "I2"
