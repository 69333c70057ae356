"""Late-interest rules without HTTP: Actual/365, simple, rounded half-even once per window."""

from datetime import date
from decimal import Decimal

import pytest

from ledger.agreements.rules.terms import LateInterest
from ledger.interest import rules
from ledger.money import Money

FIXED = LateInterest("fixed", rate_percent=Decimal("8.00"))


def test_thirty_days_at_eight_percent():
    # 22,500 × 0.08 × 30 / 365 = 147.9452… → 147.95
    accrual = rules.accrue(FIXED, [], Money.of("22500.00", "GBP"), date(2026, 5, 2), None, date(2026, 6, 1))
    assert (accrual.from_date, accrual.days, accrual.amount) == (date(2026, 5, 3), 30, Money.of("147.95", "GBP"))


@pytest.mark.parametrize("principal, expected", [("4562.50", "0.12"), ("4927.50", "0.14")])
def test_rounded_half_even_once(principal, expected):
    # 4,562.50 × 1 % × 1 / 365 = 0.125 exactly → 0.12 (half-even, not 0.13); 4,927.50 → 0.135 → 0.14
    assert rules.interest(Money.of(principal, "EUR"), Decimal("1"), 1) == Money.of(expected, "EUR")


def test_no_day_late_no_interest_and_windows_follow_each_other():
    assert rules.accrue(FIXED, [], Money.of("100.00", "EUR"), date(2026, 5, 2), None, date(2026, 5, 2)) is None
    accrual = rules.accrue(FIXED, [], Money.of("36500.00", "EUR"), date(2026, 5, 2), date(2026, 6, 1),
                           date(2026, 6, 11))
    # 36,500 × 8 % × 10 / 365 = 80.00
    assert (accrual.from_date, accrual.days, accrual.amount) == (date(2026, 6, 2), 10, Money.of("80.00", "EUR"))


def test_reference_rate_in_force_on_the_first_day_late():
    terms = LateInterest("reference", reference="ECB_MRO", margin_percent=Decimal("8.00"))
    rates = [rules.Rate(date(2026, 1, 1), Decimal("4.15")), rules.Rate(date(2026, 6, 11), Decimal("3.65"))]
    assert rules.annual_rate(terms, rates, date(2026, 6, 10)) == (Decimal("12.15"), "ECB_MRO 4.15 + 8.00")
    assert rules.annual_rate(terms, rates, date(2026, 6, 11))[0] == Decimal("11.65")
    with pytest.raises(rules.InterestError):
        rules.annual_rate(terms, rates, date(2025, 12, 31))
