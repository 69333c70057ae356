"""What each open item can be found by: its worth in each invoice currency, and its references."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ledger.money import quantize
from ledger.reconciliation.references import (
    extract_references,
    normalise_reference,
    reference_forms,
)
from ledger.reconciliation.types import OpenInvoice, OpenTransfer

#: camt's placeholder for "the payer gave no end-to-end id".
NO_E2E = "NOTPROVIDED"


@dataclass(frozen=True, slots=True)
class TransferValue:
    """What a transfer is worth in one invoice currency (its own, or converted at the stated rate)."""

    amount: Decimal
    currency: str
    converted: bool
    evidence: dict[str, str] = field(default_factory=dict)


def transfer_values(transfer: OpenTransfer) -> dict[str, TransferValue]:
    own = TransferValue(transfer.amount.amount, transfer.amount.currency, False)
    values = {own.currency: own}
    converted = _converted(transfer)
    if converted is not None:
        values[converted.currency] = converted
    return values


def _converted(transfer: OpenTransfer) -> TransferValue | None:
    instructed = transfer.instructed_amount
    if instructed is None or instructed.currency == transfer.amount.currency:
        return None
    currency = instructed.currency
    evidence = {"instructed_amount": f"{instructed} {currency}"}
    rate = transfer.fx_rate
    if rate is None:
        evidence["conversion"] = "instructed amount, no rate stated"
        return TransferValue(instructed.amount, currency, True, evidence)
    divided = quantize(transfer.amount.amount / rate, currency)
    multiplied = quantize(transfer.amount.amount * rate, currency)
    evidence["fx_rate"] = str(rate)
    if abs(multiplied - instructed.amount) < abs(divided - instructed.amount):
        evidence["conversion"] = f"booked amount × rate (rate quoted as {currency} per {transfer.amount.currency})"
        return TransferValue(multiplied, currency, True, evidence)
    evidence["conversion"] = f"booked amount ÷ rate (rate quoted as {transfer.amount.currency} per {currency})"
    return TransferValue(divided, currency, True, evidence)


def transfer_references(transfer: OpenTransfer) -> dict[str, str]:
    """Normalised reference candidates of a transfer → where each was found (first source wins)."""
    return remittance_references(transfer.end_to_end_id, transfer.remittance_structured, transfer.remittance_text)


def remittance_references(end_to_end_id: str | None, structured: str | None, text: str | None) -> dict[str, str]:
    """`transfer_references` of a payment's identifiers and remittance information."""
    found: dict[str, str] = {}
    if end_to_end_id and normalise_reference(end_to_end_id) != NO_E2E:
        for e2e in sorted(reference_forms(end_to_end_id)):
            found[e2e] = "end_to_end_id"
    if structured:
        # Within one source the order does not matter: every token gets the same source.
        for token in reference_forms(structured) | extract_references(structured):
            found.setdefault(token, "remittance_structured")
    for token in extract_references(text):
        found.setdefault(token, "remittance_text")
    return found


def invoice_references(invoice: OpenInvoice, all_forms: bool = True) -> list[tuple[str, str]]:
    """(normalised reference, invoice field) pairs, in every lookup form unless `all_forms` is False."""
    return document_references(invoice.payment_reference, invoice.number, invoice.end_to_end_id, all_forms)


def document_references(payment_reference: str | None, number: str | None, end_to_end_id: str | None,
                        all_forms: bool = True) -> list[tuple[str, str]]:
    """`invoice_references` of an invoice's payment reference, number and end-to-end id."""
    refs = (("payment_reference", payment_reference), ("number", number), ("end_to_end_id", end_to_end_id))
    result = []
    for field_name, raw in refs:
        if not raw:
            continue
        normal = normalise_reference(raw)
        if normal == NO_E2E:
            continue
        for form in reference_forms(raw) if all_forms else (normal,):
            if form:
                result.append((form, field_name))
    return result
