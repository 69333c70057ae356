"""Rule 6: near-miss references (a digit off, two swapped): proposed only, more confident when the amount fits."""

from __future__ import annotations

from collections import defaultdict

from ledger.reconciliation.lookups import invoice_references
from ledger.reconciliation.matching import confidence as conf
from ledger.reconciliation.matching.state import RunState
from ledger.reconciliation.references import near_miss_pairs
from ledger.reconciliation.types import RULE_NEAR_MISS, InvoiceId, OpenTransfer


def by_near_miss(run: RunState) -> None:
    pending = run.pending()
    if not pending:
        return
    minimum = run.settings.near_miss_min_length
    owners: dict[str, list[tuple[InvoiceId, str]]] = defaultdict(list)
    for inv in run.open_invoices():
        for normal, field_name in invoice_references(inv, all_forms=False):
            if len(normal) >= minimum:
                owners[normal].append((inv.id, field_name))
    tokens = {token for t in pending for token in run.references(t) if len(token) >= minimum}
    nearby = near_miss_pairs(tokens, owners)
    for transfer in pending:
        _near_miss(run, transfer, nearby, owners)


def _near_miss(run: RunState, transfer: OpenTransfer, nearby: dict[str, list[tuple[str, str]]],
              owners: dict[str, list[tuple[InvoiceId, str]]]) -> None:
    values = run.values[transfer.id]
    options = []
    for token in sorted(run.references(transfer)):
        for reference, reason in nearby.get(token, ()):
            for invoice_id, field_name in owners[reference]:
                invoice = run.by_id[invoice_id]
                if invoice.currency in values and run.eligible(transfer, invoice):
                    fits = run.within_tolerance(invoice, values[invoice.currency].amount)
                    options.append((not fits, run.rank[invoice_id], invoice, token, reference, reason, field_name))
    if not options:
        return
    options.sort(key=lambda option: option[:2])
    misfit, _, invoice, token, reference, reason, field_name = options[0]
    evidence = {
        "reference": token, "invoice_reference": reference, "invoice_field": field_name,
        "reason": f"near-miss reference: {reason}", "candidates": str(len({o[2].id for o in options})),
    }
    confidence = conf.NEAR_MISS if misfit else conf.NEAR_MISS_AMOUNT
    run.allocate(transfer, values[invoice.currency], [invoice], RULE_NEAR_MISS, False, confidence, evidence)
