"""from_json maps the API's typed JSON invoice onto the same ParsedInvoice as UBL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.invoices import InvoiceParseError, from_json
from ledger.money import Money

PAYLOAD = {
    "agreement": "GB-AL-2026-01",
    "number": "AL-2026-03",
    "issued_on": date(2026, 4, 2),
    "due_on": date(2026, 5, 2),
    "currency": "GBP",
    "period": "2026-03",
    "payment_reference": "rf18 5390 0754 7034",
    "total": Money.of("22500.00", "GBP"),
    "lines": [
        {"kind": "per_returnee_fee", "returnee": "ps-1", "amount": Money.of("20000.00", "GBP")},
        {"kind": "monthly_support", "returnee": "ps-2", "amount": Money.of("2500.00", "GBP")},
    ],
}


def test_header_fields_are_mapped():
    inv = from_json(PAYLOAD)
    assert (inv.source, inv.document_type, inv.number) == ("json", "invoice", "AL-2026-03")
    assert (inv.issued_on, inv.due_on, inv.period, inv.currency) == (
        date(2026, 4, 2),
        date(2026, 5, 2),
        "2026-03",
        "GBP",
    )
    assert (inv.agreement_ref, inv.agreement_ref_source) == ("GB-AL-2026-01", "agreement")
    assert (inv.payment_reference, inv.payment_reference_is_rf) == ("RF18539007547034", True)


def test_total_is_every_document_total_and_nothing_else_is_owed():
    inv = from_json(PAYLOAD)
    total = Money.of("22500.00", "GBP")
    assert inv.payable == inv.tax_inclusive == inv.tax_exclusive == inv.line_extension_total == total
    assert all(m.is_zero() for m in (inv.tax_total, inv.allowance_total, inv.charge_total, inv.prepaid, inv.rounding))
    assert inv.allowances_charges == () and inv.tax_subtotals == ()
    assert inv.ledger_effect() == total


def test_lines_are_numbered_in_order_with_kind_and_returnee():
    lines = from_json(PAYLOAD).lines
    assert [(line.line_id, line.kind, line.returnee, line.net_amount, line.quantity) for line in lines] == [
        ("1", "per_returnee_fee", "ps-1", Money.of("20000.00", "GBP"), Decimal(1)),
        ("2", "monthly_support", "ps-2", Money.of("2500.00", "GBP"), Decimal(1)),
    ]


def test_optional_fields_may_be_absent():
    inv = from_json(
        {k: v for k, v in PAYLOAD.items() if k not in {"due_on", "period", "payment_reference", "agreement"}}
    )
    assert (inv.due_on, inv.period, inv.payment_reference, inv.payment_reference_is_rf) == (None, None, None, False)
    assert (inv.agreement_ref, inv.agreement_ref_candidates) == (None, ())


def test_free_text_payment_reference_is_kept_as_written():
    inv = from_json({**PAYLOAD, "payment_reference": "Invoice AL-2026-03"})
    assert (inv.payment_reference, inv.payment_reference_is_rf) == ("Invoice AL-2026-03", False)


def test_untyped_amount_is_refused_rather_than_guessed():
    payload = {**PAYLOAD, "lines": [{"kind": "per_returnee_fee", "returnee": "ps-1", "amount": 20000.0}]}
    with pytest.raises(InvoiceParseError) as caught:
        from_json(payload)
    assert (caught.value.code, caught.value.field) == ("invalid_invoice", "lines[0].amount")
