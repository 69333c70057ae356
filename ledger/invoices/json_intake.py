"""Map the API's JSON invoice (API.md "Invoices"), already validated and typed, to a `ParsedInvoice`.

The wire format is validated elsewhere (marshmallow): here dates are `date`, amounts are `Money`.
A JSON invoice states one figure, `total`, and carries no VAT, allowances or prepayments, so every
document total is that figure and `check_arithmetic` compares the lines with it (`total_mismatch`).
JSON invoices are always `document_type="invoice"`; a correction is a line of kind `adjustment`
(negative where it reduces what is owed). Lines get ids "1", "2", … in the order given.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stdnum import iso11649

from ledger.invoices.parsed import InvoiceParseError, ParsedInvoice, ParsedLine
from ledger.money import Money


def from_json(payload: Mapping[str, Any]) -> ParsedInvoice:
    """`{agreement, number, issued_on, due_on, currency, period, payment_reference, total,
    lines: [{kind, returnee, amount}]}` → ParsedInvoice (source "json")."""
    currency = payload["currency"]
    declared: Money = payload["total"]
    zero = Money.zero(currency)
    reference = payload.get("payment_reference")
    is_rf = bool(reference) and iso11649.is_valid(reference)
    return ParsedInvoice(
        document_type="invoice",
        number=payload["number"],
        issued_on=payload["issued_on"],
        due_on=payload.get("due_on"),
        currency=currency,
        source="json",
        period=payload.get("period"),
        agreement_ref=payload.get("agreement"),
        agreement_ref_source="agreement" if payload.get("agreement") else None,
        agreement_ref_candidates=(("agreement", payload["agreement"]),) if payload.get("agreement") else (),
        payment_reference=iso11649.compact(reference) if is_rf else reference,
        payment_reference_is_rf=is_rf,
        lines=tuple(_line(n, line) for n, line in enumerate(payload.get("lines") or (), start=1)),
        line_extension_total=declared,
        allowance_total=zero,
        charge_total=zero,
        tax_exclusive=declared,
        tax_total=zero,
        tax_inclusive=declared,
        prepaid=zero,
        rounding=zero,
        payable=declared,
    )


def _line(number: int, line: Mapping[str, Any]) -> ParsedLine:
    amount = line["amount"]
    if not isinstance(amount, Money):
        # The schema layer should have made it Money; refusing here keeps floats out for good.
        raise InvoiceParseError("invalid_invoice", "line amount must be Money", field=f"lines[{number - 1}].amount")
    return ParsedLine(
        line_id=str(number),
        net_amount=amount,
        quantity=Decimal(1),
        kind=line.get("kind"),
        returnee=line.get("returnee"),
        period=line.get("period"),
        category=line.get("category"),
        evidence_ref=line.get("evidence_ref"),
    )
