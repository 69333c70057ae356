"""Rule 4: several transfers paying one invoice: the transfers adding up to what it has open (exact sums auto
when unique; sums within tolerance only proposed)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ledger.reconciliation.indexes import BookedBucket, nearest_first
from ledger.reconciliation.matching import confidence as conf
from ledger.reconciliation.matching.state import RunState, transfer_order
from ledger.reconciliation.subsets import find_subsets
from ledger.reconciliation.types import RULE_INSTALMENTS, SETTLES, OpenInvoice


def _booked_index(run: RunState) -> dict[tuple, BookedBucket]:
    buckets: dict[tuple, BookedBucket] = defaultdict(BookedBucket)
    for transfer in run.pending():  # already in booking order
        if transfer.counterparty_party is None:
            continue
        for currency in sorted(run.values[transfer.id]):
            bucket = buckets[(transfer.counterparty_party, SETTLES[transfer.direction], currency)]
            bucket.days.append(transfer.booked_on.toordinal())
            bucket.transfers.append(transfer)
    return buckets


def by_instalments(run: RunState, exact: bool) -> None:
    """Like `by_multi_invoice` the other way round: exact sums auto when unique, else proposed."""
    buckets = _booked_index(run)
    if not buckets:
        return
    for invoice in run.open_invoices():
        bucket = buckets.get((invoice.party, invoice.direction, invoice.currency))
        if bucket is not None and run.open[invoice.id] > 0:
            _paid_in_instalments(run, invoice, bucket, exact)


def _paid_in_instalments(run: RunState, invoice: OpenInvoice, bucket: BookedBucket, exact: bool) -> None:
    settings = run.settings
    due = invoice.due_on.toordinal()
    open_amount = run.open[invoice.id]
    positions = nearest_first(bucket.days, due, due - settings.days_before_due, due + settings.days_after_due,
                         settings.scan_budget)
    candidates = [
        bucket.transfers[p] for p in positions
        if bucket.transfers[p].id not in run.done
        and run.values[bucket.transfers[p].id][invoice.currency].amount < open_amount
        and run.eligible(bucket.transfers[p], invoice)
    ][: settings.subset_max_candidates]
    if len(candidates) < 2:
        return
    candidates.sort(key=transfer_order)
    tolerance = Decimal(0) if exact else run.tolerance([invoice], open_amount, invoice.currency)
    amounts = [run.values[t.id][invoice.currency].amount for t in candidates]
    found = find_subsets(amounts, open_amount - tolerance, open_amount + tolerance,
                         node_budget=settings.subset_node_budget)
    if not found.solutions:
        return
    chosen = [candidates[i] for i in found.solutions[0]]
    unique = len(found.solutions) == 1 and found.complete and exact
    siblings = ", ".join(str(t.id) for t in chosen)
    for number, transfer in enumerate(chosen, start=1):
        evidence = {"instalment": f"{number} of {len(chosen)}", "instalment_transfers": siblings}
        if not exact:
            evidence["reason"] = "the transfers add up to the invoice only within tolerance"
        elif not unique:
            evidence["reason"] = "several combinations of transfers fit the invoice"
        confidence = conf.INSTALMENTS if unique else conf.INSTALMENTS_AMBIGUOUS
        run.allocate(transfer, run.values[transfer.id][invoice.currency], [invoice], RULE_INSTALMENTS,
                      unique, confidence, evidence)
