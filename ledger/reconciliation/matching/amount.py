"""Rule 2: amount, party and date window. Three passes (`by_amount`), so stronger evidence of other rules comes
first: the one invoice of the party with exactly the amount (auto), the one fitting only within tolerance (auto),
and the rest, proposed."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict

from ledger.reconciliation.indexes import AmountBucket
from ledger.reconciliation.lookups import TransferValue
from ledger.reconciliation.matching import confidence as conf
from ledger.reconciliation.matching.state import RunState
from ledger.reconciliation.types import RULE_AMOUNT, SETTLES, OpenInvoice, OpenTransfer


def _amount_index(run: RunState) -> dict[tuple, AmountBucket]:
    """Buckets by (party, direction, currency) and, for unmapped IBANs, (None, direction, currency)."""
    buckets: dict[tuple, AmountBucket] = defaultdict(AmountBucket)
    # Kept in amount order from pass to pass: only partly paid invoices move, so the (adaptive)
    # sort of an almost sorted list costs about one walk over it.
    live = [inv for inv in run.amount_order if run.open[inv.id] > 0]
    live.sort(key=lambda inv: (run.open[inv.id], run.rank[inv.id]))
    run.amount_order = live
    wanted = run.wanted_buckets()
    for inv in live:
        amount = run.open[inv.id]
        for party in (inv.party, None):
            if (party, inv.direction) not in wanted:
                continue
            bucket = buckets[(party, inv.direction, inv.currency)]
            bucket.amounts.append(amount)
            bucket.invoices.append(inv)
            if inv.tolerance_abs.amount > bucket.max_tolerance:
                bucket.max_tolerance = inv.tolerance_abs.amount
    return buckets


def by_amount(run: RunState, phase: str) -> None:
    """Three passes, so stronger evidence of other rules comes first.

    "exact": the one open invoice of the party with exactly this amount (auto), even if others fit
    within tolerance. "tolerance": the one that fits only within tolerance (auto), after exact sums
    of several invoices or transfers had their chance, since an exact sum says more than an amount
    a few pounds off. "ambiguous":
    the rest, proposed, after near-miss references, which say more than an amount fitting
    several invoices (a fit that became unique only because a proposal took its rival is
    proposed too).
    """
    buckets = _amount_index(run)
    for transfer in run.pending():
        options, crowded = _amount_candidates(run, transfer, buckets)
        if not options:
            continue
        known = transfer.counterparty_party is not None and not crowded
        # A fit left unique only by holds or refusals waits for the "ambiguous" pass, which proposes it.
        if phase == "exact":
            exact = [(inv, value) for inv, value in options if run.open[inv.id] == value.amount]
            if known and len(exact) == 1 and not run.removed_rivals(transfer, exact[0][1], exact[0][0], True):
                _settle_by_amount(run, transfer, exact, crowded, within_tolerance=len(options) - 1)
        elif phase == "tolerance":
            if known and len(options) == 1 and not run.removed_rivals(transfer, options[0][1], options[0][0],
                                                                       False):
                _settle_by_amount(run, transfer, options, crowded)
        else:
            _settle_by_amount(run, transfer, options, crowded, force_proposed=True)


def _amount_candidates(run: RunState, transfer: OpenTransfer,
                       buckets: dict[tuple, AmountBucket]) -> tuple[list[tuple[OpenInvoice, TransferValue]], bool]:
    options: list[tuple[OpenInvoice, TransferValue]] = []
    crowded = False
    for currency, value in sorted(run.values[transfer.id].items()):
        bucket = buckets.get((transfer.counterparty_party, SETTLES[transfer.direction], currency))
        if bucket is None:
            continue
        # The invoices whose open amount is within the bucket's widest tolerance, at most scan_budget.
        low = bisect_left(bucket.amounts, value.amount - bucket.max_tolerance)
        high = bisect_right(bucket.amounts, value.amount + bucket.max_tolerance, lo=low)
        if high - low > run.settings.scan_budget:
            crowded = True
            high = low + run.settings.scan_budget
        for invoice in bucket.invoices[low:high]:
            if (
                run.open[invoice.id] > 0
                and run.eligible(transfer, invoice)
                and run.in_window(transfer.booked_on, invoice)
                and run.within_tolerance(invoice, value.amount)
            ):
                options.append((invoice, value))
    return options, crowded


def _settle_by_amount(run: RunState, transfer: OpenTransfer, options: list[tuple[OpenInvoice, TransferValue]],
                      crowded: bool, force_proposed: bool = False, within_tolerance: int = 0) -> None:
    def closeness(option: tuple[OpenInvoice, TransferValue]) -> tuple:
        invoice, value = option
        days = abs(transfer.booked_on.toordinal() - invoice.due_on.toordinal())
        return (abs(run.open[invoice.id] - value.amount), days, run.rank[invoice.id])

    options.sort(key=closeness)
    invoice, value = options[0]
    evidence = {"candidates": str(len(options)) + ("+" if crowded and len(options) > 1 else "")}
    if within_tolerance:
        evidence["other_invoices_within_tolerance"] = str(within_tolerance)
    exact = run.open[invoice.id] == value.amount
    if transfer.counterparty_party is None:
        if len(options) > 1 or crowded:
            return  # an amount alone, from an unknown account, fitting several parties: no guess
        evidence["reason"] = "counterparty IBAN not mapped to a party"
        run.allocate(transfer, value, [invoice], RULE_AMOUNT, False, conf.AMOUNT_UNKNOWN_PARTY, evidence,
                      require_settled=True)
    elif len(options) == 1 and not crowded and not force_proposed:
        confidence = conf.AMOUNT_EXACT if exact else conf.AMOUNT_TOLERANCE
        run.allocate(transfer, value, [invoice], RULE_AMOUNT, True, confidence, evidence, require_settled=True)
    else:
        rivals = run.removed_rivals(transfer, value, invoice, False) if len(options) == 1 else []
        if rivals:
            evidence["rivals_held_or_refused"] = "; ".join(str(i) for i in rivals)
            evidence["reason"] = ("the only open invoice of the party that fits the amount, but only because "
                                  "proposals waiting for review hold, or refusals for this transfer removed, "
                                  "others that fit as well")
        else:
            evidence["reason"] = ("several open invoices of the party fit the amount (or did before another "
                                  "proposal took one); nearest due date proposed")
        run.allocate(transfer, value, [invoice], RULE_AMOUNT, False, conf.AMOUNT_AMBIGUOUS, evidence,
                      require_settled=True)
