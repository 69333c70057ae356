"""Invariants over generated documents: a consistent document has no findings and its parts add up to
its payable amount; changing any one stated total by one minor unit is always caught."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.invoices import check_arithmetic, computed_payable, from_json, parse_ubl
from ledger.money import Money, minor_units

from .helpers import edited
from .ublbuild import Doc, render

CATEGORIES = [
    ("S", Decimal("20")),
    ("S", Decimal("5")),
    ("S", Decimal("8.1")),
    ("Z", Decimal("0")),
    ("E", Decimal("0")),
]
STATED_TOTALS = [
    "LineExtensionAmount",
    "AllowanceTotalAmount",
    "ChargeTotalAmount",
    "TaxExclusiveAmount",
    "TaxInclusiveAmount",
    "PrepaidAmount",
    "PayableRoundingAmount",
    "PayableAmount",
]


def _money(currency: str, low: int, high: int) -> st.SearchStrategy[Money]:
    unit = Decimal(1).scaleb(-minor_units(currency))
    return st.integers(low, high).map(lambda n: Money(n * unit, currency))


@st.composite
def documents(draw) -> Doc:
    currency = draw(st.sampled_from(["EUR", "GBP", "JPY", "BHD", "CHF"]))
    cats = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True))
    part = lambda low, high: st.tuples(_money(currency, low, high), st.sampled_from(cats)).map(  # noqa: E731
        lambda t: (t[0], t[1][0], t[1][1])
    )
    return Doc(
        currency=currency,
        credit_note=draw(st.booleans()),
        lines=draw(st.lists(part(-(10**6), 10**9), min_size=1, max_size=8)),
        allowances=draw(st.lists(part(-(10**6), 10**6), max_size=3)),  # negative in corrections
        charges=draw(st.lists(part(-(10**6), 10**6), max_size=3)),
        prepaid=draw(_money(currency, 0, 10**6)),
        rounding=draw(_money(currency, -4, 4)),
    )


@settings(max_examples=60, deadline=None)
@given(documents())
def test_consistent_document_adds_up_and_has_no_findings(doc):
    inv = parse_ubl(render(doc))
    assert check_arithmetic(inv) == []
    assert computed_payable(inv) == inv.payable == doc.totals()["PayableAmount"]
    assert [line.net_amount for line in inv.lines] == [amount for amount, _, _ in doc.lines]
    assert inv.document_type == ("credit_note" if doc.credit_note else "invoice")
    assert inv.ledger_effect() == (-inv.payable if doc.credit_note else inv.payable)


@settings(max_examples=60, deadline=None)
@given(documents(), st.sampled_from(STATED_TOTALS), st.sampled_from([-1, 1]))
def test_any_stated_total_off_by_one_minor_unit_is_caught(doc, tag, sign):
    stated = doc.totals()[tag]
    unit = Decimal(1).scaleb(-minor_units(doc.currency))
    wrong = Money(stated.amount + sign * unit, doc.currency)
    inv = parse_ubl(edited(render(doc), f"cac:LegalMonetaryTotal/cbc:{tag}", str(wrong)))
    findings = check_arithmetic(inv)
    assert findings, f"{tag} changed to {wrong} went unnoticed"
    assert all(f.code.endswith("_mismatch") for f in findings)


@settings(max_examples=60, deadline=None)
@given(st.lists(_money("GBP", -(10**7), 10**9), min_size=1, max_size=20), _money("GBP", -(10**3), 10**3))
def test_json_total_mismatch_exactly_when_lines_do_not_add_up(amounts, error):
    declared = sum(amounts, Money.zero("GBP")) + error
    inv = from_json(
        {
            "agreement": "GB-AL-2026-01",
            "number": "N-1",
            "issued_on": date(2026, 4, 2),
            "currency": "GBP",
            "total": declared,
            "lines": [{"kind": "per_returnee_fee", "returnee": "x", "amount": a} for a in amounts],
        }
    )
    codes = [f.code for f in check_arithmetic(inv)]
    assert codes == ([] if error.is_zero() else ["total_mismatch"])
    assert computed_payable(inv) == declared - error
