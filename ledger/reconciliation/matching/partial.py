"""Rule 5: a lone partial payment of the party's only fitting invoice (proposed only)."""

from __future__ import annotations

from ledger.reconciliation.indexes import nearest_first
from ledger.reconciliation.matching import confidence as conf
from ledger.reconciliation.matching.state import RunState
from ledger.reconciliation.references import is_valid_rf
from ledger.reconciliation.types import RULE_PARTIAL, SETTLES, OpenTransfer


def by_partial_payment(run: RunState) -> None:
    buckets = run.due_index()
    settings = run.settings
    for transfer in run.pending():
        if transfer.counterparty_party is None or _names_an_absent_invoice(run, transfer):
            continue
        booked = transfer.booked_on.toordinal()
        for currency, value in sorted(run.values[transfer.id].items()):
            bucket = buckets.get((transfer.counterparty_party, SETTLES[transfer.direction], currency))
            if bucket is None:
                continue
            positions = nearest_first(bucket.days, booked, booked - settings.days_after_due,
                                 booked + settings.days_before_due, settings.scan_budget)
            fitting = [
                bucket.invoices[p] for p in positions
                if run.open[bucket.invoices[p].id] > value.amount and run.eligible(transfer, bucket.invoices[p])
            ]
            if len(fitting) == 1 and len(positions) < settings.scan_budget:
                evidence = {"reason": "only open invoice of the party larger than the payment"}
                run.allocate(transfer, value, fitting, RULE_PARTIAL, False, conf.PARTIAL, evidence)
                break


def _names_an_absent_invoice(run: RunState, transfer: OpenTransfer) -> bool:
    """A structured or RF reference that matched nothing open: its invoice has not arrived yet
    (or is settled), so guessing another invoice of the party would only mislead a reviewer."""
    if transfer.remittance_structured:
        return True
    return any(token.startswith("RF") and is_valid_rf(token) for token in run.references(transfer))
