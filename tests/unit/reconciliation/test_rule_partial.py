"""Rule 5 alone (`matching.partial`): a lone partial payment of the party's only larger invoice, proposed."""

from decimal import Decimal

from ledger.reconciliation.matching.partial import by_partial_payment
from tests.unit.reconciliation.factories import invoice, run_state, transfer


def test_the_only_larger_open_invoice_of_the_party_is_proposed():
    run = run_state([invoice("I1", "1000.00"), invoice("I2", "200.00")], [transfer("T1", "400.00")])
    by_partial_payment(run)
    (proposal,) = run.proposals
    assert ([a.invoice_id for a in proposal.allocations], proposal.status) == (["I1"], "proposed")
    assert proposal.confidence == Decimal("0.35") and run.open["I1"] == Decimal("600.00")


def test_two_larger_invoices_make_no_guess():
    run = run_state([invoice("I1", "1000.00"), invoice("I2", "900.00")], [transfer("T1", "400.00")])
    by_partial_payment(run)
    assert run.proposals == []


def test_a_transfer_naming_an_absent_invoice_by_structured_reference_is_not_guessed():
    run = run_state([invoice("I1", "1000.00")], [transfer("T1", "400.00", structured="RF18539007547034")])
    by_partial_payment(run)
    assert run.proposals == []
