"""Calendar periods: end-of-month clamping, leap years, and agreement with dateutil.relativedelta."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.recognition.rules.dates import add_months, add_years


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # common year: clamp to 28 Feb
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # leap year: 29 Feb exists
        (date(2023, 11, 29), 3, date(2024, 2, 29)),
        (date(2024, 11, 29), 3, date(2025, 2, 28)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),  # 31 Aug -> 30 Nov
        (date(2026, 8, 30), 3, date(2026, 11, 30)),
        (date(2026, 9, 1), 3, date(2026, 12, 1)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),  # across the year end, no clamp needed
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2024, 2, 29), 3, date(2024, 5, 29)),  # a 29 Feb start keeps its day when it exists
        (date(2026, 5, 31), -3, date(2026, 2, 28)),  # backwards too
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),  # 29 Feb + 1 year = 28 Feb, not 1 Mar
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2096, 2, 29), 4, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2025, 2, 28), -1, date(2024, 2, 28)),
        (date(2024, 3, 1), 1, date(2025, 3, 1)),
    ],
)
def test_add_years_treats_29_february_as_28_february_in_common_years(start, years, expected):
    assert add_years(start, years) == expected


@pytest.mark.parametrize("bad", [1.0, True, "3"])
def test_counts_must_be_ints(bad):
    with pytest.raises(TypeError):
        add_months(date(2026, 1, 1), bad)
    with pytest.raises(TypeError):
        add_years(date(2026, 1, 1), bad)


def _relativedelta():
    # python-dateutil is only a test-time dependency (via beancount); the runtime code does not need it.
    return pytest.importorskip("dateutil.relativedelta", reason="python-dateutil not installed").relativedelta


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-240, 240))
def test_add_months_agrees_with_relativedelta(start, months):
    assert add_months(start, months) == start + _relativedelta()(months=months)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-20, 20))
def test_add_years_agrees_with_relativedelta(start, years):
    assert add_years(start, years) == start + _relativedelta()(years=years)
