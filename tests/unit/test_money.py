from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.money import CurrencyMismatch, Money, MoneyError, minor_units, total


def test_minor_units_come_from_iso4217():
    assert (minor_units("GBP"), minor_units("JPY"), minor_units("BHD")) == (2, 0, 3)


@pytest.mark.parametrize("text,currency,wire", [("20000.00", "GBP", "20000.00"), ("5", "GBP", "5.00"),
                                                ("1500", "JPY", "1500"), ("1.234", "BHD", "1.234")])
def test_wire_form_has_exactly_the_minor_units(text, currency, wire):
    assert str(Money.of(text, currency)) == wire


@pytest.mark.parametrize("value", [1.5, "NaN", "Infinity", "1e3", "", "1,00", True, "1" * 16])
def test_refuses_what_is_not_money(value):
    with pytest.raises(MoneyError):
        Money.of(value, "GBP")


def test_refuses_silent_rounding_and_unknown_currencies():
    with pytest.raises(MoneyError, match="more decimals"):
        Money.of("1.005", "GBP")
    with pytest.raises(MoneyError):
        Money.of("1", "XYZ")
    with pytest.raises(MoneyError):
        Money.of("1", "XAU")


def test_rounding_is_explicit_and_half_even():
    assert str(Money.rounded("2.345", "GBP")) == "2.34"
    assert str(Money.rounded("2.355", "GBP")) == "2.36"
    assert str(Money.of("0.10", "GBP").times(Decimal("0.5"))) == "0.05"


def test_mixed_currencies_are_refused():
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "GBP") + Money.of("1", "EUR")
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("1", "GBP") < Money.of("1", "EUR")


amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False)


@given(st.lists(amounts, max_size=30))
def test_sum_is_exact(values):
    assert total([Money(v, "GBP") for v in values], "GBP").amount == sum(values, Decimal(0))


@given(amounts)
def test_wire_round_trip(value):
    money = Money(value, "GBP")
    assert Money.of(str(money), "GBP") == money
