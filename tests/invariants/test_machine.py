"""One truth: after every step of a random history of the ledger's work, the books agree with themselves,
with the signed statements, with the bank and with beancount (see `machine` and `checks`).

`make test` runs a modest number of examples (LEDGER_MACHINE_EXAMPLES × up to LEDGER_MACHINE_STEPS steps);
`make check` runs at least 5,000 steps on each engine (bench/check.py).

Every invariant of the issue "One truth" is checked: entries balance per currency, each agreement's statement
closes at its journal balance, each month opens where the previous closed, closed statements never change,
each bank account's cash equals its bank's closing balance, and the beancount export passes bean-check with
assertions equal to the signed statements.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.invariants import machine


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
    """Every invariant, over random histories of the whole service."""
    _run(session, frozenset(machine.INVARIANTS))
