"""Rule 3 alone (`matching.multi_invoice`): one transfer paying several invoices of its party."""

from datetime import date
from decimal import Decimal

from ledger.reconciliation.matching.multi_invoice import by_multi_invoice
from tests.unit.reconciliation.factories import invoice, run_state, transfer


def test_the_one_exact_sum_is_auto():
    run = run_state([invoice("I1", "300.00"), invoice("I2", "450.00"), invoice("I3", "1000.00")],
                    [transfer("T1", "750.00")])
    by_multi_invoice(run, exact=True)
    (proposal,) = run.proposals
    assert sorted(a.invoice_id for a in proposal.allocations) == ["I1", "I2"]
    assert (proposal.rule, proposal.status, proposal.confidence) == ("multi_invoice", "auto", Decimal("0.85"))
    assert run.open["I1"] == run.open["I2"] == 0 and run.open["I3"] == Decimal("1000.00")


def test_several_exact_sums_are_proposed():
    run = run_state([invoice("I1", "300.00"), invoice("I2", "300.00"), invoice("I3", "450.00")],
                    [transfer("T1", "750.00")])
    by_multi_invoice(run, exact=True)
    (proposal,) = run.proposals
    assert proposal.status == "proposed" and proposal.evidence["reason"] == \
        "several combinations of open invoices fit the amount"


def test_a_sum_within_tolerance_is_only_proposed_and_only_in_the_tolerance_pass():
    invoices = [invoice("I1", "300.00", due_on=date(2026, 5, 1)), invoice("I2", "450.00")]
    run = run_state(invoices, [transfer("T1", "745.00")])
    by_multi_invoice(run, exact=True)
    assert run.proposals == []
    by_multi_invoice(run, exact=False)
    (proposal,) = run.proposals
    assert proposal.status == "proposed" and proposal.residual.amount == Decimal("5.00")


def test_an_unknown_payer_is_never_summed():
    run = run_state([invoice("I1", "300.00"), invoice("I2", "450.00")], [transfer("T1", "750.00", party=None)])
    by_multi_invoice(run, exact=True)
    assert run.proposals == []
