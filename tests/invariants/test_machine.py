"""One truth: after every step of a random history of the ledger's work, the books agree with themselves,
with the signed statements, with the bank and with beancount (see `machine` and `checks`).

`make test` runs a modest number of examples (LEDGER_MACHINE_EXAMPLES × up to LEDGER_MACHINE_STEPS steps);
`make check` runs at least 5,000 steps on each engine (bench/check.py).

PENDING names the invariants that the code on this branch does not keep yet: the fixes are being made on
other branches (statement closing by construction, every transfer posted with suspense and FX accounts,
beancount accounts per currency and assertions by booked period). `test_one_truth` leaves them out so the
suite stays green meanwhile; `test_one_truth_pending` (marker `one_truth_pending`, deselected by default:
run it with `-m one_truth_pending`) checks all of them. Whoever merges a fix removes its name from PENDING;
when PENDING is empty, `test_one_truth_pending` and the marker go too.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.invariants import machine

PENDING = frozenset({
    "closing_equals_journal",        # overrides and credit notes move invoices_payable outside the closing
    "cash_equals_bank",              # unexplained transfers are not posted; FX payments post in the invoice's currency
    "export_passes_bean_check",      # one beancount account for a party's cash in two currencies
    "assertions_equal_statements",   # assertions by effective date, statements by booked period
})


def _run(session, checked: frozenset[str]) -> None:
    only = os.environ.get("LEDGER_MACHINE_INVARIANTS")  # e.g. "cash_equals_bank": check these alone
    if only:
        checked = frozenset(only.split(",")) & checked
    bound = type("BoundOneTruth", (machine.OneTruth,),
                 {"session": session, "checked": checked, "tally": [], "outcomes": {}})
    try:
        run_state_machine_as_test(bound, settings=settings(
            max_examples=machine.examples(), stateful_step_count=machine.steps(), deadline=None,
            suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
            database=None, print_blob=True))
    finally:
        if os.environ.get("LEDGER_MACHINE_STATS"):
            print(f"\n{sum(bound.tally)} steps in {len(bound.tally)} examples; service calls [done, refused]:")
            for name, counts in sorted(bound.outcomes.items()):
                print(f"  {name}: {counts}")
        tally = os.environ.get("LEDGER_MACHINE_TALLY")
        if tally:
            with open(tally, "a") as handle:
                handle.write(f"{sum(bound.tally)} {len(bound.tally)}\n")


def test_one_truth(session):
    """The invariants the code keeps today, over random histories of the whole service."""
    _run(session, frozenset(machine.INVARIANTS) - PENDING)


@pytest.mark.one_truth_pending
def test_one_truth_pending(session):
    """Every invariant of the issue, the pending ones included (fails until their fixes are merged)."""
    _run(session, frozenset(machine.INVARIANTS))
