"""Checks on what reconciliation is given: the engine's input (the integration layer's mistakes surface as coded
errors, not odd matches) and an officer's match by hand. Each check collects every problem it finds, so one
refusal names them all; the first found gives the refusal its code."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from ledger.money import quantize
from ledger.reconciliation.types import (
    SETTLES,
    OpenInvoice,
    OpenTransfer,
    ReconciliationError,
)


class Finding(NamedTuple):
    """One problem: the field it is about, a message safe to show, its stable snake_case code."""

    field: str
    message: str
    code: str = "validation_error"


# ---- the engine's input ------------------------------------------------------------------------------

def validate_inputs(invoices: list[OpenInvoice], transfers: list[OpenTransfer]) -> None:
    """Raise `ReconciliationError` naming every inconsistent invoice and transfer (the first gives its code)."""
    findings = [*_unique([inv.id for inv in invoices], "duplicate_invoice_id", "invoice"),
                *_unique([t.id for t in transfers], "duplicate_transfer_id", "transfer")]
    for invoice in invoices:
        findings.extend(invoice_findings(invoice))
    for transfer in transfers:
        findings.extend(transfer_findings(transfer))
    if findings:
        first = findings[0]
        raise ReconciliationError(first.code, first.message, field=first.field,
                                  problems=[(f.code, f.message, f.field) for f in findings])


def _unique(ids: list, code: str, what: str) -> list[Finding]:
    seen, found = set(), []
    for identifier in ids:
        if identifier in seen:
            found.append(Finding("id", f"{what} {identifier} is given twice", code))
        seen.add(identifier)
    return found


def _is_rate(value: Any, *, positive: bool) -> bool:
    """A finite Decimal, > 0 (`positive`) or ≥ 0."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    return value > 0 if positive else value >= 0


def invoice_findings(invoice: OpenInvoice) -> list[Finding]:
    where, found = f"invoice {invoice.id}", []
    if invoice.direction not in SETTLES.values():
        found.append(Finding("direction", f"{where}: direction must be payable or receivable", "invalid_direction"))
    for name in ("open_amount", "tolerance_abs"):
        money = getattr(invoice, name)
        if money.currency != invoice.currency:
            found.append(Finding(name, f"{where}: {name} is not in {invoice.currency}", "currency_mismatch"))
        if money.amount < 0:
            found.append(Finding(name, f"{where}: {name} is negative", "negative_amount"))
    if not _is_rate(invoice.tolerance_pct, positive=False):
        found.append(Finding("tolerance_pct", f"{where}: tolerance_pct must be a Decimal ≥ 0", "invalid_tolerance"))
    return found


def transfer_findings(transfer: OpenTransfer) -> list[Finding]:
    where, found = f"transfer {transfer.id}", []
    if transfer.direction not in SETTLES:
        found.append(Finding("direction", f"{where}: direction must be debit or credit", "invalid_direction"))
    if transfer.amount.amount < 0:
        found.append(Finding("amount", f"{where}: amount is negative (use direction)", "negative_amount"))
    rate = transfer.fx_rate
    if rate is not None and not _is_rate(rate, positive=True):
        found.append(Finding("fx_rate", f"{where}: fx_rate must be a positive Decimal", "invalid_fx_rate"))
    if rate is not None and transfer.instructed_amount is None:
        found.append(Finding("fx_rate", f"{where}: fx_rate given without instructed_amount", "invalid_fx_rate"))
    if transfer.instructed_amount is not None and transfer.instructed_amount.amount < 0:
        found.append(Finding("instructed_amount", f"{where}: instructed_amount is negative", "negative_amount"))
    return found


# ---- a match by hand ---------------------------------------------------------------------------------

class ManualTransfer(NamedTuple):
    """What the checks of a match by hand need of its transfer (None fields: not known)."""

    booked: bool
    reversal: bool
    party: str | None
    counterparty: str | None
    direction: str
    currency: str


class ManualInvoice(NamedTuple):
    """What the checks of a match by hand need of an invoice it names."""

    id: int
    payer: str
    payee: str
    currency: str


def transfer_to_match_findings(transfer: ManualTransfer | None, transfer_id: int, allocations: Sequence[dict],
                               write_off: bool) -> list[Finding]:
    """Whether a transfer can be matched by hand at all, and to at least one allocation."""
    found = []
    if transfer is None:
        found.append(Finding("transfer", f"no transfer {transfer_id}", "unknown_transfer"))
    else:
        if not transfer.booked or transfer.reversal:
            found.append(Finding("transfer", "only a booked transfer that is not a reversal can be matched",
                                 "not_a_payment"))
        if transfer.party is None or transfer.counterparty is None:
            found.append(Finding("transfer", "the transfer's account or counterparty is not a known party's",
                                 "unknown_party"))
    if not allocations:
        found.append(Finding("allocations", "at least one allocation is needed"))
    if transfer is not None and transfer.direction == "credit" and write_off:
        found.append(Finding("write_off", "a credit pays claims whole or refunds a note: nothing is written off",
                             "no_write_off_on_credit"))
    return found


def payment_allocation_findings(transfer: ManualTransfer | None, allocations: Sequence[dict],
                                invoices: dict[int, ManualInvoice]) -> list[Finding]:
    """A payment out's allocations by hand: each names an invoice (once) that the transfer's payer owes its
    counterparty, in the transfer's currency, with an amount of that currency's minor units. `invoices` holds
    those of the named invoices that exist."""
    found, seen = [], set()
    for index, item in enumerate(allocations):
        at = f"allocations.{index}"
        if item.get("claim") is not None:
            found.append(Finding(f"{at}.claim", "a cost claim is paid by a credit, not a payment out", "not_a_credit"))
            continue
        invoice = invoices.get(item["invoice"])
        if invoice is None:
            found.append(Finding(f"{at}.invoice", f"no invoice {item['invoice']}", "unknown_invoice"))
            continue
        if invoice.id in seen:
            found.append(Finding(f"{at}.invoice", "the invoice is named twice", "duplicate_invoice"))
            continue
        seen.add(invoice.id)
        if transfer is not None and (invoice.payer, invoice.payee) != (transfer.party, transfer.counterparty):
            found.append(Finding(f"{at}.invoice", "the invoice is not owed by the transfer's payer to its "
                                 "counterparty", "party_mismatch"))
        if transfer is not None and invoice.currency != transfer.currency:
            found.append(Finding(f"{at}.invoice", f"the invoice is in {invoice.currency}, the transfer in "
                                 f"{transfer.currency}", "currency_mismatch"))
        found.extend(amount_findings(item, index, invoice.currency))
    return found


def amount_findings(item: dict, index: int, currency: str) -> list[Finding]:
    amount = item["amount"]
    if quantize(amount, currency) != amount:
        return [Finding(f"allocations.{index}.amount", f"{currency} amounts have fewer decimals")]
    return []


def credit_allocation_findings(allocations: Sequence[dict], currency: str) -> list[Finding]:
    """A credit's allocations by hand: amounts in the currency's minor units; cost claims (each whole) or one
    credit note's refund, not both."""
    found = [f for index, item in enumerate(allocations) for f in amount_findings(item, index, currency)]
    paying = [item.get("claim") is not None for item in allocations]
    if any(paying) and not all(paying):
        found.append(Finding("allocations", "a credit pays cost claims or refunds a credit note, not both",
                             "mixed_allocations"))
    elif not any(paying) and len(allocations) > 1:
        found.append(Finding("allocations", "a credit refunds one credit note at a time", "one_note_per_credit"))
    return found


def write_off_findings(account: str, reason: str, accounts: Sequence[str]) -> list[Finding]:
    found = []
    if account not in accounts:
        found.append(Finding("write_off_account", "choose bank charges, FX difference or rounding",
                             "unknown_account"))
    if not reason.strip():
        found.append(Finding("write_off_reason", "say why the difference is written off", "reason_required"))
    return found
