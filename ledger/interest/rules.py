"""Late-payment interest: pure rules (Actual/365 simple interest per day late, rounded once).

* **Days late** of an invoice due on ``due_on``: every day after it, up to and including ``as_of``; a proposal
  covers a window ``from_date`` … ``as_of`` that starts the day after the due date, or the day after the last
  window proposed for the invoice (accepted or rejected: a rejected window is waived, not proposed again).
* **Rate** a year: ``fixed`` → its ``rate_percent``; ``reference`` → the reference rate in force on the window's
  first day plus ``margin_percent`` (the rate of the EU Late Payment Directive's kind: reference + 8 points).
* **Amount** = principal × rate / 100 × days / 365, computed exactly and rounded half-even to the currency's minor
  units once per invoice and window (never per day: per-day rounding drifts by up to half a cent a day).
* The principal is what is open on the invoice when the run is made.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from ledger.agreements.rules.terms import LateInterest
from ledger.money import Money

DAYS_IN_YEAR = Decimal(365)


def rate_text(value) -> str:
    """A rate as a decimal string with at least two decimals ("8.00", "4.1500" → "4.15")."""
    rate = Decimal(value).normalize()
    if rate.as_tuple().exponent > -2:
        rate = rate.quantize(Decimal("0.01"))
    return format(rate, "f")


class InterestError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True, slots=True)
class Rate:
    effective_from: date
    rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class Accrual:
    from_date: date
    as_of: date
    days: int
    rate_percent: Decimal
    basis: str
    amount: Money


def rate_on(rates: Sequence[Rate], day: date) -> Rate | None:
    """The reference rate in force on ``day`` (the latest published on or before it)."""
    ordered = sorted(rates, key=lambda r: r.effective_from)
    index = bisect_right([r.effective_from for r in ordered], day)
    return ordered[index - 1] if index else None


def annual_rate(terms: LateInterest, rates: Sequence[Rate], first_day: date) -> tuple[Decimal, str]:
    """(rate in percent a year, how it was made) for a window starting ``first_day``."""
    if terms.kind == "fixed":
        return terms.rate_percent, f"fixed {terms.rate_percent}"
    rate = rate_on(rates, first_day)
    if rate is None:
        raise InterestError("missing_reference_rate", f"no {terms.reference} rate is recorded on or before "
                                                      f"{first_day.isoformat()}")
    return rate.rate_percent + terms.margin_percent, f"{terms.reference} {rate.rate_percent} + {terms.margin_percent}"


def interest(principal: Money, rate_percent: Decimal, days: int) -> Money:
    """Simple interest, Actual/365, rounded half-even to minor units once."""
    exact = principal.amount * rate_percent / Decimal(100) * Decimal(days) / DAYS_IN_YEAR
    return Money.rounded(exact, principal.currency, ROUND_HALF_EVEN)


def accrue(terms: LateInterest, rates: Sequence[Rate], principal: Money, due_on: date, last_window_end: date | None,
           as_of: date) -> Accrual | None:
    """Interest on ``principal`` from the day after ``due_on`` (or after ``last_window_end``) to ``as_of``;
    None when there is no day late in that window or nothing to charge."""
    first = max(due_on, last_window_end or due_on) + timedelta(days=1)
    if first > as_of or principal.amount <= 0:
        return None
    days = (as_of - first).days + 1
    rate, basis = annual_rate(terms, rates, first)
    amount = interest(principal, rate, days)
    if amount.amount <= 0:
        return None
    return Accrual(first, as_of, days, rate, basis, amount)


__all__ = ["Accrual", "InterestError", "Rate", "accrue", "annual_rate", "interest", "rate_on"]
