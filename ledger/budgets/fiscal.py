"""Fiscal years and quarters as plain functions over plain values (no ORM, no Flask).

A payer's fiscal year starts on the first day of its `fiscal_year_start_month` and is named by the calendar year
it starts in: with an April start (the UK), FY2026 runs from 2026-04 to 2027-03. Months stay the unit of
booking and closing; a fiscal year or quarter is a run of consecutive monthly periods.
"""

from __future__ import annotations

from datetime import date

MIN_YEAR, MAX_YEAR = 1900, 9998  # a year whose last period still ends inside the calendar


class FiscalError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def check_start_month(month: int) -> int:
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise FiscalError("the fiscal year starts on the first day of a month: give a month 1..12",
                          "fiscal_year_start_month")
    return month


def _period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def fiscal_year_of(day_or_period: date | str, start_month: int) -> int:
    """The fiscal year (named by the year it starts in) that a day or a `YYYY-MM` period belongs to."""
    if isinstance(day_or_period, str):
        year, month = int(day_or_period[:4]), int(day_or_period[5:7])
    else:
        year, month = day_or_period.year, day_or_period.month
    return year if month >= start_month else year - 1


def periods(year: int, start_month: int, quarter: int | None = None) -> list[str]:
    """The monthly periods of fiscal year `year` (or of its quarter 1..4), in order."""
    check_start_month(start_month)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise FiscalError(f"a fiscal year from {MIN_YEAR} to {MAX_YEAR}", "fiscal_year")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise FiscalError("a quarter is 1, 2, 3 or 4", "quarter")
    first, count = (0, 12) if quarter is None else ((quarter - 1) * 3, 3)
    return [_period(*_shift(year, start_month, first + i)) for i in range(count)]


def bounds(year: int, start_month: int, quarter: int | None = None) -> tuple[str, str]:
    """First and last period of the fiscal year (or quarter)."""
    months = periods(year, start_month, quarter)
    return months[0], months[-1]
