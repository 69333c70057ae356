"""Invariants of the claim rules over generated dates and lines."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledger.money import Money
from ledger.recognition.rules import (
    DIRECTIVE_2001_40,
    AllowanceRate,
    ClaimLine,
    RecognitionRuleError,
    assess_claim,
)
from ledger.recognition.rules.dates import add_years

DAY = timedelta(days=1)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
leap_days = st.sampled_from([date(y, 2, 29) for y in range(2000, 2091, 4)])
any_date = st.one_of(dates, leap_days)  # make sure 29 February is drawn often
VISA = ClaimLine("visa_fee", Money.of("10.00", "EUR"), "EV")
ZERO = Money.zero("EUR")


def outcome(decision, enforced, submitted):
    try:
        return assess_claim(DIRECTIVE_2001_40, decision, enforced, submitted, [VISA], ZERO, [])
    except RecognitionRuleError as error:
        return error.code


@given(any_date)
def test_four_years_to_the_day_is_in_and_the_next_day_is_out(decision):
    last = add_years(decision, 4)
    assert not isinstance(outcome(decision, last, last), str)
    assert outcome(decision, last + DAY, last + DAY) == "decision_too_old"
    assert 1460 <= (last - decision).days <= 1461


@given(any_date)
def test_one_year_to_the_day_is_in_time_and_the_next_day_is_late(enforced):
    last = add_years(enforced, 1)
    assert outcome(enforced, enforced, last).late is False
    assert outcome(enforced, enforced, last + DAY).late is True
    assert 365 <= (last - enforced).days <= 366


amounts = st.integers(min_value=0, max_value=10**7).map(lambda cents: Money(Decimal(cents).scaleb(-2), "EUR"))
claimed_amounts = amounts.filter(lambda money: not money.is_zero())  # a line of 0.00 is refused (zero_amount)


@st.composite
def claim_lines(draw):
    category = draw(st.sampled_from(["transport_air", "transport_land_sea", "visa_fee", "travel_document_fee",
                                     "escort_allowance", "escort_accommodation"]))
    amount = draw(claimed_amounts)
    if category.startswith("transport"):
        return ClaimLine(category, amount, "EV", reference_fare=draw(amounts))
    if category == "escort_allowance":
        return ClaimLine(category, amount, "EV", days=draw(st.integers(1, 30)), escorts=draw(st.integers(1, 4)))
    if category == "escort_accommodation":
        return ClaimLine(category, amount, "EV", location=draw(st.sampled_from(["transit", "origin_country"])))
    return ClaimLine(category, amount, "EV")


@given(st.lists(claim_lines(), min_size=1, max_size=8), amounts, st.booleans())
def test_allowed_never_exceeds_claimed_and_payable_is_allowed_less_recovered(lines, recovered, with_rate):
    rates = [AllowanceRate(date(2020, 1, 1), Money.of("55.55", "EUR"))] if with_rate else []
    result = assess_claim(DIRECTIVE_2001_40, date(2025, 1, 1), date(2026, 1, 1), date(2026, 2, 1), lines, recovered,
                          rates)
    assert len(result.lines) == len(lines)
    for line, assessed in zip(lines, result.lines):
        assert Money.zero("EUR") <= assessed.allowed <= assessed.claimed == line.amount
        if line.reference_fare is not None:
            assert assessed.allowed <= line.reference_fare
        if line.category == "escort_allowance" and with_rate:
            assert assessed.allowed <= Money.of("55.55", "EUR").times(line.days * line.escorts)
    assert result.allowed <= result.claimed
    expected = result.allowed - recovered if recovered <= result.allowed else Money.zero("EUR")
    assert result.payable == expected
