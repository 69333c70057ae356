"""Rule 1, the strongest evidence: the transfer quotes an invoice's reference (RF creditor reference, payment
reference, end-to-end id, invoice number). One named invoice within tolerance is auto (a partial payment too, when
the reference is strong); several named invoices are settled together, or the one subset the amount fits. A
transfer quoting an invoice this run already paid, for what it had open, is held as a possible duplicate."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ledger.reconciliation.lookups import TransferValue, invoice_references
from ledger.reconciliation.matching import confidence as conf
from ledger.reconciliation.matching.state import RunState
from ledger.reconciliation.references import is_valid_rf
from ledger.reconciliation.subsets import find_subsets
from ledger.reconciliation.types import RULE_REFERENCE, SETTLES, InvoiceId, OpenInvoice, OpenTransfer

#: Invoice numbers shorter than this (normalised) are too likely to occur by chance in free text to
#: justify an automatic partial payment on their own.
_STRONG_NUMBER_LENGTH = 5


def by_reference(run: RunState) -> None:
    # The index holds the invoices themselves, so a hit needs no lookup by id.
    index: dict[str, list[tuple[OpenInvoice, str]]] = defaultdict(list)
    for inv in run.invoices:
        for normal, field_name in invoice_references(inv):
            entries = index[normal]
            # Once per invoice and form, under its first field: an earlier field of this invoice
            # with the same form would be the last entry, since invoices are indexed one by one.
            if not entries or entries[-1][0] is not inv:
                entries.append((inv, field_name))
    for transfer in run.pending():
        hits = _reference_hits(run, transfer, index)
        if hits:
            _settle_by_reference(run, transfer, hits)
        else:
            repeated = _repeated_invoice(run, transfer, index)
            if repeated is not None:
                run.duplicates[transfer.id] = repeated
                run.done.add(transfer.id)


def _repeated_invoice(run: RunState, transfer: OpenTransfer,
                      index: dict[str, list[tuple[OpenInvoice, str]]]) -> InvoiceId | None:
    """An invoice of the transfer's party that it quotes and that this run already settled, for exactly what
    that invoice had open: the transfer repeats its payment (as `duplicates` tells of earlier runs' invoices)."""
    party = transfer.counterparty_party
    if party is None:
        return None
    values, direction = run.values[transfer.id], SETTLES[transfer.direction]
    for token in sorted(run.references(transfer)):
        entries = index.get(token, ())
        if len(entries) > run.settings.scan_budget:
            continue  # shared by that many invoices it names none (as in `_reference_hits`)
        for invoice, _ in entries:
            value = values.get(invoice.currency)
            if (invoice.party == party and invoice.direction == direction and run.open[invoice.id] == 0
                    and value is not None and value.amount == invoice.open_amount.amount):
                return invoice.id
    return None


def _reference_hits(run: RunState, transfer: OpenTransfer,
                    index: dict[str, list[tuple[OpenInvoice, str]]]) -> dict[InvoiceId, tuple[str, str, str]]:
    """Eligible invoices named by the transfer → (reference, where found, invoice field)."""
    hits: dict[InvoiceId, tuple[str, str, str]] = {}
    values = run.values[transfer.id]
    scan_budget = run.settings.scan_budget
    for token, source in run.references(transfer).items():
        entries = index.get(token)
        if not entries or len(entries) > scan_budget:
            continue  # no invoice's; or shared by that many invoices it singles out none (amount rules decide)
        for invoice, field_name in entries:
            invoice_id = invoice.id
            if invoice.currency in values and run.eligible(transfer, invoice):
                hit = (token, source, field_name)
                # The smallest hit per invoice, so evidence does not depend on set order.
                if invoice_id not in hits or hit < hits[invoice_id]:
                    hits[invoice_id] = hit
    return hits


def _settle_by_reference(run: RunState, transfer: OpenTransfer,
                         hits: dict[InvoiceId, tuple[str, str, str]]) -> None:
    candidates = [run.by_id[i] for i in sorted(hits, key=run.rank.__getitem__)]
    currency = candidates[0].currency
    candidates = [inv for inv in candidates if inv.currency == currency]
    value = run.values[transfer.id][currency]
    party_known = transfer.counterparty_party is not None
    evidence = _reference_evidence([hits[inv.id] for inv in candidates])
    strong = all(_is_strong(*hits[inv.id]) for inv in candidates)
    if len(candidates) == 1:
        _one_referenced(run, transfer, value, candidates[0], party_known, strong, evidence)
    else:
        _several_referenced(run, transfer, value, candidates, party_known, evidence)


def _one_referenced(run: RunState, transfer: OpenTransfer, value: TransferValue, invoice: OpenInvoice,
                    party_known: bool, strong: bool, evidence: dict[str, str]) -> None:
    open_amount = run.open[invoice.id]
    if run.within_tolerance(invoice, value.amount):
        confidence = conf.REF_EXACT if open_amount == value.amount else conf.REF_TOLERANCE
        auto = party_known
    elif value.amount < open_amount:
        confidence, auto = conf.REF_PARTIAL, party_known and strong
        evidence["reason"] = "partial payment: the rest stays open"
    else:
        confidence, auto = conf.REF_AMBIGUOUS, False
        evidence["reason"] = "paid more than is open, beyond tolerance"
    if not party_known:
        confidence = min(confidence, conf.REF_UNKNOWN_PARTY)
        reason = evidence.get("reason")
        evidence["reason"] = "counterparty IBAN not mapped to a party" + (f"; {reason}" if reason else "")
    elif not strong and not auto:
        confidence = min(confidence, conf.REF_WEAK)
    run.allocate(transfer, value, [invoice], RULE_REFERENCE, auto, confidence, evidence)


def _several_referenced(run: RunState, transfer: OpenTransfer, value: TransferValue, candidates: list[OpenInvoice],
                        party_known: bool, evidence: dict[str, str]) -> None:
    """The transfer names several invoices: all of them, or the one subset its amount fits."""
    candidates = candidates[: run.settings.subset_max_candidates]
    opens = [run.open[inv.id] for inv in candidates]
    total = sum(opens, Decimal(0))
    if abs(total - value.amount) <= run.tolerance(candidates, total, value.currency):
        run.allocate(transfer, value, candidates, RULE_REFERENCE, party_known, conf.REF_MULTI, evidence)
        return
    tolerance = run.tolerance(candidates, value.amount, value.currency)
    found = find_subsets(opens, value.amount - tolerance, value.amount + tolerance, min_size=1,
                         node_budget=run.settings.subset_node_budget)
    evidence["candidates"] = str(len(candidates))
    if len(found.solutions) == 1 and found.complete:
        chosen = [candidates[i] for i in found.solutions[0]]
        run.allocate(transfer, value, chosen, RULE_REFERENCE, party_known, conf.REF_MULTI, evidence)
    elif found.solutions:
        evidence["reason"] = "several referenced invoices fit the amount"
        chosen = [candidates[i] for i in found.solutions[0]]
        run.allocate(transfer, value, chosen, RULE_REFERENCE, False, conf.REF_AMBIGUOUS, evidence)
    else:
        evidence["reason"] = "referenced invoices do not add up to the amount"
        run.allocate(transfer, value, candidates, RULE_REFERENCE, False, conf.REF_AMBIGUOUS, evidence)


def _is_strong(token: str, source: str, field_name: str) -> bool:
    """A reference that cannot plausibly appear by chance: RF, end-to-end id, or a long invoice number."""
    return field_name != "number" or len(token) >= _STRONG_NUMBER_LENGTH


def _reference_evidence(hits: list[tuple[str, str, str]]) -> dict[str, str]:
    tokens, sources, field_names = zip(*hits)
    evidence = {
        "reference": "; ".join(tokens),
        "reference_source": "; ".join(sources),
        "invoice_field": "; ".join(field_names),
    }
    rf = [token for token in tokens if token.startswith("RF")]
    if rf:
        evidence["rf_valid"] = "; ".join("true" if is_valid_rf(token) else "false" for token in rf)
    return evidence
