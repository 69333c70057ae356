"""parse_ubl on the committed fixtures: every mapped field, and the arithmetic oracle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.invoices import check_arithmetic, computed_payable, parse_ubl
from ledger.money import Money

from .helpers import FIXTURES, fixture

FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.xml"))


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_fixture_adds_up_to_its_own_payable_amount(name):
    inv = parse_ubl(fixture(name))
    assert computed_payable(inv) == inv.payable
    assert check_arithmetic(inv) == []


def test_fixtures_cover_the_required_ground():
    invoices = {name: parse_ubl(fixture(name)) for name in FIXTURE_FILES}
    kinds = {inv.document_type for inv in invoices.values()}
    assert kinds == {"invoice", "credit_note"}
    assert any(inv.allowances and inv.charges and len(inv.tax_subtotals) >= 3 for inv in invoices.values())
    assert any(not inv.prepaid.is_zero() for inv in invoices.values())
    assert any(not inv.rounding.is_zero() for inv in invoices.values())
    assert any(inv.currency == "JPY" for inv in invoices.values())


def test_invoice_header_parties_and_payment():
    inv = parse_ubl(fixture("invoice_allowances_multi_vat.xml"))
    assert (inv.document_type, inv.number, inv.type_code) == ("invoice", "AL-2026-03", "380")
    assert (inv.issued_on, inv.due_on, inv.period) == (date(2026, 4, 2), date(2026, 5, 2), "2026-03")
    assert inv.currency == "GBP" and inv.source == "ubl"
    assert (inv.agreement_ref, inv.agreement_ref_source) == ("GB-AL-2026-01", "ContractDocumentReference")
    assert inv.agreement_ref_candidates == (
        ("ContractDocumentReference", "GB-AL-2026-01"),
        ("OrderReference", "PO-77"),
    )
    assert inv.seller.name == "Ministry of Finance of Albania"
    assert (inv.seller.party_id, inv.seller.party_id_scheme) == ("5790000000001", "0088")
    assert (inv.seller.country, inv.seller.vat_id, inv.seller.legal_id) == ("AL", "AL-K00000000A", "K00000000A")
    assert inv.seller.iban == "AL47212110090000000235698741"
    assert (inv.buyer.name, inv.buyer.country, inv.buyer.iban) == ("Home Office", "GB", None)
    # Written with spaces; a valid ISO 11649 reference is kept in its compact form.
    assert (inv.payment_reference, inv.payment_reference_is_rf) == ("RF18539007547034", True)
    assert inv.payment_terms == "30 days net, as agreed in the memorandum"


def test_invoice_totals_allowances_charges_and_vat_breakdown():
    inv = parse_ubl(fixture("invoice_allowances_multi_vat.xml"))
    gbp = lambda s: Money.of(s, "GBP")  # noqa: E731
    assert inv.line_extension_total == gbp("23734.56")
    assert (inv.allowance_total, inv.charge_total) == (gbp("100.00"), gbp("50.00"))
    assert (inv.tax_exclusive, inv.tax_total, inv.tax_inclusive) == (gbp("23684.56"), gbp("4107.50"), gbp("27792.06"))
    assert (inv.prepaid, inv.rounding, inv.payable) == (gbp("0"), gbp("0"), gbp("27792.06"))
    [allowance], [charge] = inv.allowances, inv.charges
    assert (allowance.amount, allowance.reason, allowance.reason_code) == (gbp("100.00"), "Discount", "95")
    assert (charge.amount, charge.tax_category, charge.tax_percent) == (gbp("50.00"), "S", Decimal("5"))
    assert [(s.category, s.percent, s.taxable_amount, s.tax_amount) for s in inv.tax_subtotals] == [
        ("S", Decimal(20), gbp("19900.00"), gbp("3980.00")),
        ("S", Decimal(5), gbp("2550.00"), gbp("127.50")),
        ("Z", Decimal(0), gbp("1234.56"), gbp("0.00")),
    ]


def test_line_kind_and_returnee_mapping():
    lines = parse_ubl(fixture("invoice_allowances_multi_vat.xml")).lines
    # 1: AdditionalItemProperty; 2: SellersItemIdentification + "returnee: …" note; 3: key=value note.
    assert [(line.line_id, line.kind, line.returnee) for line in lines] == [
        ("1", "per_returnee_fee", "R-0001"),
        ("2", "monthly_support", "R-0002"),
        ("3", "adjustment", "R-0003"),
    ]
    assert [line.quantity for line in lines] == [Decimal(1), Decimal(1), Decimal("2.5")]
    assert [line.description for line in lines] == [
        "Reception fee",
        "Monthly support, February",
        "Re-priced fee after amendment",
    ]
    assert [line.period for line in lines] == [None, "2026-02", None]
    assert lines[2].net_amount == Money.of("1234.56", "GBP")


def test_credit_note_is_flagged_and_reduces_what_is_owed():
    inv = parse_ubl(fixture("credit_note.xml"))
    assert (inv.document_type, inv.type_code, inv.number) == ("credit_note", "381", "AL-2026-03-C1")
    # Amounts stay as the document states them; the flag (and ledger_effect) carry the sign.
    assert inv.payable == Money.of("20000.00", "GBP")
    assert inv.ledger_effect() == Money.of("-20000.00", "GBP")
    assert inv.preceding_invoice == "AL-2026-03"
    assert (inv.agreement_ref, inv.agreement_ref_source) == ("GB-AL-2026-01", "ProjectReference")
    assert inv.due_on == date(2026, 5, 20)  # from PaymentMeans/PaymentDueDate
    assert (inv.lines[0].kind, inv.lines[0].returnee) == ("per_returnee_fee", "R-0001")
    assert inv.tax_subtotals[0].category == "O" and inv.tax_subtotals[0].percent is None


def test_prepaid_rounding_and_tax_currency():
    inv = parse_ubl(fixture("prepaid_rounding.xml"))
    chf = lambda s: Money.of(s, "CHF")  # noqa: E731
    assert (inv.prepaid, inv.rounding, inv.payable) == (chf("500.00"), chf("0.02"), chf("833.25"))
    assert inv.tax_total == chf("99.90")
    assert (inv.tax_currency, inv.tax_total_in_tax_currency) == ("EUR", Money.of("106.12", "EUR"))
    assert inv.issued_on == date(2026, 2, 10)  # a time zone on an xsd:date does not change the day
    assert inv.period is None
    # An attached document's ID is not an agreement reference.
    assert inv.agreement_ref_candidates == (("OrderReference", "CH-IT-2025-04"),)
    assert (inv.payment_reference, inv.payment_reference_is_rf) == ("RF00 0000 0000 0000", False)
    assert inv.seller.iban == "CH9300762011623852957"
    assert inv.payment_terms == "Half paid in advance,\nbalance within 30 days"


def test_jpy_with_other_prefixes_ignores_line_and_price_level_elements():
    inv = parse_ubl(fixture("jpy_invoice.xml"))
    assert inv.currency == "JPY" and str(inv.payable) == "187000"
    assert inv.allowances_charges == ()  # line- and price-level allowances are inside the line amounts
    assert inv.period is None  # line 2's InvoicePeriod is not the document's
    assert inv.lines[1].period == "2026-01"
    assert (inv.agreement_ref, inv.agreement_ref_source) == ("JP-PH-2026-02", "AdditionalDocumentReference")
    assert (inv.seller.account_id, inv.seller.iban) == ("1234567", None)
    assert inv.due_on is None
