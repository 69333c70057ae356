"""check_arithmetic on documents that do not add up: each broken figure yields the rule it breaks."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ledger.invoices import Finding, check_arithmetic, computed_payable, from_json, parse_ubl
from ledger.invoices.arithmetic import kind_of
from ledger.money import CurrencyMismatch, Money

from .helpers import edited, fixture

INVOICE = fixture("invoice_allowances_multi_vat.xml")
TOTALS = "cac:LegalMonetaryTotal/"


def _codes(data: bytes) -> set[str]:
    return {f.code for f in check_arithmetic(parse_ubl(data))}


@pytest.mark.parametrize(
    ("xpath", "value", "expected"),
    [
        # BR-CO-10, and the line's VAT category base no longer matches (BR-S-08).
        ("cac:InvoiceLine[1]/cbc:LineExtensionAmount", "20000.01", {"line_sum_mismatch", "taxable_amount_mismatch"}),
        (TOTALS + "cbc:LineExtensionAmount", "23734.57", {"line_sum_mismatch", "tax_exclusive_mismatch"}),
        (TOTALS + "cbc:AllowanceTotalAmount", "100.01", {"allowance_total_mismatch", "tax_exclusive_mismatch"}),
        (TOTALS + "cbc:ChargeTotalAmount", "49.99", {"charge_total_mismatch", "tax_exclusive_mismatch"}),
        (TOTALS + "cbc:TaxExclusiveAmount", "23684.55", {"tax_exclusive_mismatch", "tax_inclusive_mismatch"}),
        ("cac:TaxTotal/cbc:TaxAmount", "4107.51", {"tax_total_mismatch", "tax_inclusive_mismatch"}),
        (TOTALS + "cbc:TaxInclusiveAmount", "27792.07", {"tax_inclusive_mismatch", "payable_mismatch"}),
        (TOTALS + "cbc:PayableAmount", "27792.05", {"payable_mismatch"}),
        (
            "cac:TaxTotal/cac:TaxSubtotal[1]/cbc:TaxableAmount",
            "19910.00",
            {"taxable_amount_mismatch", "tax_amount_mismatch"},
        ),
        ("cac:AllowanceCharge[1]/cbc:Amount", "101.00", {"allowance_total_mismatch", "taxable_amount_mismatch"}),
    ],
)
def test_each_broken_figure_breaks_its_rule(xpath, value, expected):
    assert _codes(edited(INVOICE, xpath, value)) == expected


def test_finding_names_the_figure_and_both_amounts():
    [finding] = check_arithmetic(parse_ubl(edited(INVOICE, TOTALS + "cbc:PayableAmount", "27792.05")))
    assert finding == Finding("payable_mismatch", "amount due: stated 27792.05 GBP, computed 27792.06 GBP", "payable")


def test_vat_amount_may_differ_from_base_times_rate_by_less_than_one_unit():
    # As the official BR-CO-17 test allows (producers rounding VAT per line): only the VAT total, which
    # must still equal the sum of the breakdown exactly, no longer matches.
    near = edited(INVOICE, "cac:TaxTotal/cac:TaxSubtotal[1]/cbc:TaxAmount", "3980.99")
    assert _codes(near) == {"tax_total_mismatch"}
    off = edited(INVOICE, "cac:TaxTotal/cac:TaxSubtotal[1]/cbc:TaxAmount", "3981.00")
    assert _codes(off) == {"tax_total_mismatch", "tax_amount_mismatch"}


def test_vat_in_a_currency_without_minor_units_is_judged_at_two_decimals():
    # 5 % of 290 JPY is 14.50: a producer rounding half-even (14) or half-up (15) is right either way.
    data = fixture("jpy_invoice.xml")
    for value in ("14", "15"):
        changed = edited(
            edited(data, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount", "290"),
            "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent",
            "5",
        )
        changed = edited(changed, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", value)
        assert "tax_amount_mismatch" not in _codes(changed)
    changed = edited(data, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "17001")
    assert "tax_amount_mismatch" in _codes(changed)


def test_vat_without_a_rate_must_be_zero():
    data = edited(fixture("credit_note.xml"), "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "5.00")
    assert _codes(data) == {"tax_total_mismatch", "tax_amount_mismatch"}


def test_rounding_amount_takes_part_in_the_payable_amount():
    data = edited(fixture("prepaid_rounding.xml"), TOTALS + "cbc:PayableRoundingAmount", "0.03")
    inv = parse_ubl(data)
    assert {f.code for f in check_arithmetic(inv)} == {"payable_mismatch"}
    assert computed_payable(inv) == Money.of("833.26", "CHF")


def test_prepaid_amount_takes_part_in_the_payable_amount():
    inv = parse_ubl(edited(fixture("prepaid_rounding.xml"), TOTALS + "cbc:PrepaidAmount", "400.00"))
    assert {f.code for f in check_arithmetic(inv)} == {"payable_mismatch"}
    assert computed_payable(inv) == Money.of("933.25", "CHF")


def test_missing_vat_breakdown_is_reported():
    inv = parse_ubl(edited(INVOICE, "cac:TaxTotal", remove=True))
    assert inv.tax_total.is_zero()
    assert {f.code for f in check_arithmetic(inv)} == {"tax_breakdown_missing", "tax_inclusive_mismatch"}


def test_currency_mismatch_stops_the_sums():
    inv = parse_ubl(edited(INVOICE, TOTALS + "cbc:PayableAmount", currencyID="EUR"))
    assert check_arithmetic(inv) == [
        Finding("currency_mismatch", "payable is in EUR, the document is in GBP", "payable")
    ]


def test_computed_payable_refuses_mixed_currencies():
    inv = parse_ubl(edited(INVOICE, "cac:InvoiceLine[1]/cbc:LineExtensionAmount", currencyID="EUR"))
    with pytest.raises(CurrencyMismatch):
        computed_payable(inv)


def test_vat_total_with_breakdown_in_the_tax_currency_is_a_currency_mismatch():
    # BT-110 (the total carrying the breakdown) must be in the document currency even when a tax
    # currency is declared; only the bare BT-111 total may be in EUR.
    inv = parse_ubl(edited(fixture("prepaid_rounding.xml"), "cac:TaxTotal[1]/cbc:TaxAmount", currencyID="EUR"))
    assert check_arithmetic(inv) == [
        Finding("currency_mismatch", "tax_total is in EUR, the document is in CHF", "tax_total")
    ]


def test_vat_total_in_a_third_currency_is_a_currency_mismatch():
    inv = parse_ubl(edited(fixture("prepaid_rounding.xml"), "cac:TaxTotal[2]/cbc:TaxAmount", currencyID="USD"))
    assert [f.field for f in check_arithmetic(inv)] == ["tax_total_in_tax_currency"]
    inv = parse_ubl(edited(fixture("prepaid_rounding.xml"), "cbc:TaxCurrencyCode", remove=True))
    [finding] = check_arithmetic(inv)
    assert finding.message == "a second VAT total is in EUR, the declared tax currency is none"


def test_credit_note_arithmetic_is_the_same_as_an_invoices():
    data = edited(fixture("credit_note.xml"), "cac:LegalMonetaryTotal/cbc:PayableAmount", "19999.99")
    assert _codes(data) == {"payable_mismatch"}


# -- JSON invoices ------------------------------------------------------------------------------


def _json(total: str, *amounts: str, currency: str = "GBP") -> dict:
    return {
        "agreement": "GB-AL-2026-01",
        "number": "AL-2026-03",
        "issued_on": date(2026, 4, 2),
        "due_on": date(2026, 5, 2),
        "currency": currency,
        "period": "2026-03",
        "payment_reference": "RF18539007547034",
        "total": Money.of(total, "GBP"),
        "lines": [
            {"kind": "per_returnee_fee", "returnee": f"p{n}", "amount": Money.of(a, currency)}
            for n, a in enumerate(amounts)
        ],
    }


def test_json_invoice_that_adds_up_has_no_findings():
    inv = from_json(_json("42500.00", "20000.00", "20000.00", "2500.00"))
    assert check_arithmetic(inv) == []
    assert computed_payable(inv) == inv.payable == Money.of("42500.00", "GBP")


def test_json_lines_not_adding_up_to_total_is_total_mismatch():
    inv = from_json(_json("42500.00", "20000.00", "20000.00"))
    assert check_arithmetic(inv) == [
        Finding("total_mismatch", "sum of line amounts: stated 42500.00 GBP, computed 40000.00 GBP", "total")
    ]


def test_json_line_in_another_currency_is_currency_mismatch():
    payload = _json("20000.00", "20000.00")
    payload["lines"].append({"kind": "adjustment", "returnee": None, "amount": Money.of("5", "EUR")})
    [finding] = check_arithmetic(from_json(payload))
    assert (finding.code, finding.field, finding.line) == ("currency_mismatch", "amount", "2")


def test_json_total_in_another_currency_is_reported_once():
    payload = {**_json("20000.00", "20000.00"), "currency": "EUR"}
    payload["lines"] = [{"kind": "per_returnee_fee", "returnee": "p0", "amount": Money.of("20000.00", "EUR")}]
    assert check_arithmetic(from_json(payload)) == [
        Finding("currency_mismatch", "total is in GBP, the document is in EUR", "total")
    ]


def test_every_arithmetic_code_is_of_the_kind_no_override_can_pass():
    # The module docstring lists each code check_arithmetic can return; a code added there but not to
    # ARITHMETIC_CODES would silently become overridable, so the two lists must agree.
    from ledger.invoices import arithmetic

    codes = arithmetic.__doc__.split("Codes:")[1].split("**Kinds.**")[0]
    listed = set(re.findall(r"`([a-z]+_[a-z_]+)`", codes))
    assert listed == arithmetic.ARITHMETIC_CODES
    assert {kind_of(code) for code in listed} == {"arithmetic"}
    broken = edited(INVOICE, "cac:InvoiceLine[1]/cbc:LineExtensionAmount", "20000.01")
    assert {f.kind for f in check_arithmetic(parse_ubl(broken))} == {"arithmetic"}


@pytest.mark.parametrize("code", ["unknown_obligation", "amount_mismatch", "already_invoiced", "outside_term",
                                  "disputed"])
def test_what_the_ledger_or_an_officer_finds_is_an_obligation_finding(code):
    assert kind_of(code) == "obligation"
