"""Rule 1 alone (`matching.reference`): a transfer quoting an invoice's reference."""

from decimal import Decimal

from ledger.money import Money
from ledger.reconciliation.matching.reference import by_reference
from tests.unit.reconciliation.factories import invoice, run_state, transfer

RF = "RF18539007547034"


def test_one_named_invoice_paid_exactly_is_auto_and_closed():
    run = run_state([invoice("I1", payment_reference=RF)], [transfer("T1", structured=RF)])
    by_reference(run)
    (proposal,) = run.proposals
    assert (proposal.rule, proposal.status, proposal.confidence) == ("reference", "auto", Decimal("0.99"))
    assert run.open["I1"] == 0 and "T1" in run.done


def test_a_partial_payment_quoting_a_strong_reference_is_auto_and_leaves_the_rest_open():
    run = run_state([invoice("I1", payment_reference=RF)], [transfer("T1", "400.00", structured=RF)])
    by_reference(run)
    (proposal,) = run.proposals
    assert (proposal.status, proposal.confidence) == ("auto", Decimal("0.90"))
    assert proposal.evidence["reason"] == "partial payment: the rest stays open"
    assert run.open["I1"] == Decimal("600.00")


def test_an_unknown_payer_quoting_a_reference_is_only_proposed():
    run = run_state([invoice("I1", payment_reference=RF)], [transfer("T1", party=None, structured=RF)])
    by_reference(run)
    (proposal,) = run.proposals
    assert proposal.status == "proposed" and proposal.confidence == Decimal("0.80")
    assert proposal.evidence["reason"] == "counterparty IBAN not mapped to a party"


def test_two_named_invoices_are_settled_together_when_the_amount_is_their_sum():
    run = run_state([invoice("I1", "300.00", number="AL-11111"), invoice("I2", "700.00", number="AL-22222")],
                    [transfer("T1", "1000.00", text="AL-11111 and AL-22222")])
    by_reference(run)
    (proposal,) = run.proposals
    assert [a.invoice_id for a in proposal.allocations] == ["I1", "I2"] and proposal.status == "auto"


def test_a_second_payment_quoting_an_invoice_this_run_paid_is_held_as_a_duplicate():
    run = run_state([invoice("I1", payment_reference=RF)], [transfer("T1", structured=RF),
                                                            transfer("T2", structured=RF)])
    by_reference(run)
    assert [p.transfer_id for p in run.proposals] == ["T1"]
    assert run.duplicates == {"T2": "I1"} and "T2" in run.done


def test_a_transfer_quoting_nothing_is_left_to_the_other_rules():
    run = run_state([invoice("I1")], [transfer("T1", text="thank you")])
    by_reference(run)
    assert run.proposals == [] and run.open["I1"] == Money.of("1000.00", "GBP").amount
