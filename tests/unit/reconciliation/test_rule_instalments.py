"""Rule 4 alone (`matching.instalments`): several transfers paying one invoice."""

from datetime import date
from decimal import Decimal

from ledger.reconciliation.matching.instalments import by_instalments
from tests.unit.reconciliation.factories import invoice, run_state, transfer


def test_two_transfers_adding_up_to_the_invoice_are_auto_each_naming_its_sibling():
    run = run_state([invoice("I1", "1000.00")], [transfer("T1", "400.00"),
                                                 transfer("T2", "600.00", booked_on=date(2026, 5, 5))])
    by_instalments(run, exact=True)
    assert [(p.transfer_id, p.status, p.confidence) for p in run.proposals] == [
        ("T1", "auto", Decimal("0.80")), ("T2", "auto", Decimal("0.80"))]
    assert [p.evidence["instalment"] for p in run.proposals] == ["1 of 2", "2 of 2"]
    assert run.proposals[0].evidence["instalment_transfers"] == "T1, T2" and run.open["I1"] == 0


def test_a_lone_transfer_is_not_an_instalment():
    run = run_state([invoice("I1", "1000.00")], [transfer("T1", "400.00")])
    by_instalments(run, exact=True)
    assert run.proposals == [] and run.open["I1"] == Decimal("1000.00")


def test_transfers_adding_up_only_within_tolerance_are_proposed_in_the_tolerance_pass():
    transfers = [transfer("T1", "400.00"), transfer("T2", "595.00", booked_on=date(2026, 5, 5))]
    run = run_state([invoice("I1", "1000.00")], transfers)
    by_instalments(run, exact=True)
    assert run.proposals == []
    by_instalments(run, exact=False)
    assert {p.status for p in run.proposals} == {"proposed"} and len(run.proposals) == 2
