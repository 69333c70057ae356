"""Rule 3: one transfer paying several invoices of its party: the invoices whose open amounts add up to it (exact
sums auto when unique; sums within tolerance only proposed)."""

from __future__ import annotations

from decimal import Decimal

from ledger.reconciliation.indexes import DueBucket, nearest_first
from ledger.reconciliation.lookups import TransferValue
from ledger.reconciliation.matching import confidence as conf
from ledger.reconciliation.matching.state import RunState
from ledger.reconciliation.subsets import find_subsets
from ledger.reconciliation.types import RULE_MULTI_INVOICE, SETTLES, OpenTransfer


def by_multi_invoice(run: RunState, exact: bool) -> None:
    """Exact sums first (auto when unique); sums within tolerance only proposed, since with a
    dozen candidates some combination lands within a few pounds of almost any amount."""
    buckets = run.due_index()
    for transfer in run.pending():
        if transfer.counterparty_party is None:
            continue  # summing an unknown payer's amount over everyone's invoices proves nothing
        for currency, value in sorted(run.values[transfer.id].items()):
            bucket = buckets.get((transfer.counterparty_party, SETTLES[transfer.direction], currency))
            if bucket is not None and _pay_several(run, transfer, value, bucket, exact):
                break


def _pay_several(run: RunState, transfer: OpenTransfer, value: TransferValue, bucket: DueBucket, exact: bool) -> bool:
    settings = run.settings
    booked = transfer.booked_on.toordinal()
    positions = nearest_first(bucket.days, booked, booked - settings.days_after_due,
                         booked + settings.days_before_due, settings.scan_budget)
    limit = value.amount + bucket.max_tolerance
    candidates = [
        bucket.invoices[p] for p in positions
        if 0 < run.open[bucket.invoices[p].id] <= limit and run.eligible(transfer, bucket.invoices[p])
    ][: settings.subset_max_candidates]
    if len(candidates) < 2:
        return False
    candidates.sort(key=lambda inv: run.rank[inv.id])
    tolerance = Decimal(0) if exact else run.tolerance(candidates, value.amount, value.currency)
    found = find_subsets([run.open[inv.id] for inv in candidates], value.amount - tolerance,
                         value.amount + tolerance, node_budget=settings.subset_node_budget)
    if not found.solutions:
        return False
    chosen = [candidates[i] for i in found.solutions[0]]
    unique = len(found.solutions) == 1 and found.complete and exact
    evidence = {"candidates": str(len(candidates)), "invoices_paid": str(len(chosen))}
    if not exact:
        evidence["reason"] = "the invoices add up to the amount only within tolerance"
    elif not unique:
        evidence["reason"] = "several combinations of open invoices fit the amount"
    confidence = conf.MULTI if unique else conf.MULTI_AMBIGUOUS
    return run.allocate(transfer, value, chosen, RULE_MULTI_INVOICE, unique, confidence, evidence,
                         require_settled=True) is not None
