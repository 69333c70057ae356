"""A well-formed UBL document that is not a usable invoice: invalid_invoice, naming the field."""

from __future__ import annotations

import pytest

from ledger.invoices import InvoiceParseError, check_arithmetic, parse_ubl

from .helpers import edited, fixture

INVOICE = fixture("invoice_allowances_multi_vat.xml")
TOTALS = "cac:LegalMonetaryTotal/"


@pytest.mark.parametrize(
    ("xpath", "field"),
    [
        ("cbc:ID", "cbc:ID"),
        ("cbc:IssueDate", "cbc:IssueDate"),
        ("cbc:DocumentCurrencyCode", "cbc:DocumentCurrencyCode"),
        (TOTALS + "cbc:PayableAmount", TOTALS + "cbc:PayableAmount"),
        (TOTALS + "cbc:LineExtensionAmount", TOTALS + "cbc:LineExtensionAmount"),
        (TOTALS + "cbc:TaxExclusiveAmount", TOTALS + "cbc:TaxExclusiveAmount"),
        (TOTALS + "cbc:TaxInclusiveAmount", TOTALS + "cbc:TaxInclusiveAmount"),
        ("cac:InvoiceLine[2]/cbc:LineExtensionAmount", "cac:InvoiceLine[2]/cbc:LineExtensionAmount"),
        ("cac:InvoiceLine[2]/cbc:InvoicedQuantity", "cac:InvoiceLine[2]/cbc:InvoicedQuantity"),
        ("cac:InvoiceLine[3]/cbc:ID", "cac:InvoiceLine[3]/cbc:ID"),
        ("cac:AllowanceCharge[1]/cbc:ChargeIndicator", "cac:AllowanceCharge[1]/cbc:ChargeIndicator"),
    ],
)
def test_missing_mandatory_element_names_its_field(xpath, field):
    with pytest.raises(InvoiceParseError) as caught:
        parse_ubl(edited(INVOICE, xpath, remove=True))
    assert (caught.value.code, caught.value.field) == ("invalid_invoice", field)
    assert "missing" in caught.value.message


def test_a_document_without_lines_is_refused():
    data = INVOICE
    for _ in range(3):
        data = edited(data, "cac:InvoiceLine", remove=True)
    with pytest.raises(InvoiceParseError) as caught:
        parse_ubl(data)
    assert (caught.value.code, caught.value.field) == ("invalid_invoice", "cac:InvoiceLine")


@pytest.mark.parametrize(
    ("xpath", "value", "attrs", "fragment"),
    [
        (TOTALS + "cbc:PayableAmount", "27792.061", {}, "more decimals"),
        (TOTALS + "cbc:PayableAmount", "1e5", {}, "not a plain decimal"),
        (TOTALS + "cbc:PayableAmount", "27792,06", {}, "not a decimal"),
        (TOTALS + "cbc:PayableAmount", None, {"currencyID": "ZZZ"}, "ISO 4217"),
        (TOTALS + "cbc:PayableAmount", None, {"currencyID": ""}, "no currencyID"),
        ("cbc:DocumentCurrencyCode", "XAU", {}, "not a currency"),
        ("cbc:IssueDate", "02/04/2026", {}, "not a date"),
        ("cac:AllowanceCharge[1]/cbc:ChargeIndicator", "maybe", {}, "true or false"),
        ("cac:InvoiceLine[1]/cbc:InvoicedQuantity", "NaN", {}, "not a decimal"),
    ],
)
def test_unreadable_values_are_invalid_invoice(xpath, value, attrs, fragment):
    with pytest.raises(InvoiceParseError) as caught:
        parse_ubl(edited(INVOICE, xpath, value, **attrs))
    assert caught.value.code == "invalid_invoice"
    assert caught.value.field and caught.value.field.endswith(xpath.split("/")[-1])
    assert fragment in caught.value.message


def test_amount_in_another_currency_is_parsed_and_reported_by_the_check():
    inv = parse_ubl(edited(INVOICE, "cac:InvoiceLine[2]/cbc:LineExtensionAmount", currencyID="EUR"))
    [finding] = check_arithmetic(inv)
    assert (finding.code, finding.field, finding.line) == ("currency_mismatch", "net_amount", "2")


def test_invoice_type_code_381_makes_an_invoice_document_a_credit_note():
    inv = parse_ubl(edited(INVOICE, "cbc:InvoiceTypeCode", "381"))
    assert inv.document_type == "credit_note"
    assert inv.ledger_effect() == -inv.payable


def test_charge_indicator_accepts_xsd_boolean_forms():
    inv = parse_ubl(
        edited(
            edited(INVOICE, "cac:AllowanceCharge[1]/cbc:ChargeIndicator", "0"),
            "cac:AllowanceCharge[2]/cbc:ChargeIndicator",
            " 1 ",
        )
    )
    assert [ac.is_charge for ac in inv.allowances_charges] == [False, True]


def test_utf16_document_is_read():
    text = INVOICE.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert parse_ubl(text.encode("utf-16")).number == "AL-2026-03"


def test_cbc_due_date_falls_back_to_payment_terms():
    data = edited(INVOICE, "cbc:DueDate", remove=True)
    assert parse_ubl(data).due_on is None
    data = edited(data, "cac:PaymentTerms/cbc:Note", "net 30")
    root_terms = data.replace(
        b"<cbc:Note>net 30</cbc:Note>",
        b"<cbc:Note>net 30</cbc:Note><cbc:PaymentDueDate>2026-06-01</cbc:PaymentDueDate>",
    )
    assert str(parse_ubl(root_terms).due_on) == "2026-06-01"


def test_more_than_two_vat_totals_is_refused():
    data = INVOICE.replace(
        b"<cac:LegalMonetaryTotal>",
        b"<cac:TaxTotal><cbc:TaxAmount currencyID='GBP'>0</cbc:TaxAmount></cac:TaxTotal>" * 2
        + b"<cac:LegalMonetaryTotal>",
    )
    with pytest.raises(InvoiceParseError) as caught:
        parse_ubl(data)
    assert (caught.value.code, caught.value.field) == ("invalid_invoice", "cac:TaxTotal")


def test_comments_inside_values_are_not_part_of_them():
    data = INVOICE.replace(b">27792.06</cbc:PayableAmount>", b">27792<!-- euro? -->.06</cbc:PayableAmount>")
    data = data.replace(b"<cbc:ID>AL-2026-03</cbc:ID>", b"<cbc:ID>AL-<!-- x -->2026-03</cbc:ID>", 1)
    inv = parse_ubl(data)
    assert (inv.number, str(inv.payable)) == ("AL-2026-03", "27792.06")
