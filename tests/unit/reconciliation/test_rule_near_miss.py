"""Rule 6 alone (`matching.near_miss`): a reference a character off, proposed only."""

from decimal import Decimal

from ledger.reconciliation.matching.near_miss import by_near_miss
from tests.unit.reconciliation.factories import invoice, run_state, transfer


def test_a_number_one_digit_off_is_proposed_more_confidently_when_the_amount_fits():
    run = run_state([invoice("I1", number="AL-2026-12345")], [transfer("T1", text="invoice AL-2026-12346")])
    by_near_miss(run)
    (proposal,) = run.proposals
    assert (proposal.rule, proposal.status, proposal.confidence) == ("near_miss_reference", "proposed",
                                                                     Decimal("0.60"))
    assert proposal.evidence["reason"].startswith("near-miss reference: ")


def test_a_near_miss_with_an_amount_that_does_not_fit_is_proposed_with_less_confidence():
    run = run_state([invoice("I1", number="AL-2026-12345")], [transfer("T1", "300.00", text="AL-2026-12346")])
    by_near_miss(run)
    (proposal,) = run.proposals
    assert proposal.confidence == Decimal("0.30")


def test_a_reference_far_from_every_invoice_is_left_alone():
    run = run_state([invoice("I1", number="AL-2026-12345")], [transfer("T1", text="ZZ-1999-99999")])
    by_near_miss(run)
    assert run.proposals == []
