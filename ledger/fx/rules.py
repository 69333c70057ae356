"""Month-end revaluation as plain functions over plain values.

The journal keeps every open item in its own currency and balances each entry per currency, so an open payable
of 100,000.00 EUR stays 100,000.00 EUR whatever the rate does. What changes is its worth in the payer's
reporting currency R. The revaluation therefore never touches the item's own account: it posts, wholly in R,

    Dr fx_unrealised (R)          / Cr fx_revaluation_payable (R)     — a payable that became dearer (a loss)
    Dr fx_revaluation_receivable  / Cr fx_unrealised (R)              — a receivable that became worth more

(with signs reversed for the opposite moves), so the entry balances in R on its own and every other currency is
untouched: the settlement statements, which read the items' own accounts, do not move. `fx_revaluation_*`
are valuation accounts beside the item (same party, counterparty and agreement, in R), and `fx_unrealised` is
kept apart from `fx_differences`, which holds the *realised* differences of converted payments.

The difference is the item's balance at the month-end rate less its carrying value in R: each still-open part
of the balance at the rate in force on the day it was posted (first in, first out: payments and other
movements against the balance settle its oldest parts first). The entry is dated the period's last day and
reversed on the first day of the next month, so each month-end is measured afresh against the historical
rates and nothing unrealised accumulates; once an item is paid its realised difference goes, as before, to
`fx_differences`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from ledger.money import Money


class MissingRate(LookupError):
    def __init__(self, currency: str, quote: str, on: date):
        super().__init__(f"no {currency}/{quote} rate recorded on or before {on.isoformat()}")
        self.currency, self.quote, self.on = currency, quote, on


def open_layers(movements: Iterable[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """The still-open parts of a balance, each with the day it was posted (first in, first out).

    `movements` are signed amounts (debit positive); the parts of the balance's sign are consumed oldest first
    by the movements of the other sign."""
    items = sorted(movements, key=lambda m: m[0])
    total = sum((amount for _, amount in items), Decimal(0))
    if total == 0:
        return []
    sign = 1 if total > 0 else -1
    against = sum((-amount * sign for _, amount in items if amount * sign < 0), Decimal(0))
    layers = []
    for on, amount in items:
        if amount * sign <= 0:
            continue
        used = min(amount * sign, against)
        against -= used
        left = amount * sign - used
        if left:
            layers.append((on, left * sign))
    return layers


def difference(movements: Iterable[tuple[date, Decimal]], rate_on: Callable[[date], Decimal], end: date,
               reporting_currency: str) -> Money:
    """What the open balance gained (positive) or lost in R between its carrying value and `end`'s rate, as a
    signed amount on the valuation account (debit positive), rounded half-even to R's minor units once."""
    layers = open_layers(movements)
    if not layers:
        return Money(Decimal(0), reporting_currency)
    balance = sum((amount for _, amount in layers), Decimal(0))
    carrying = sum((amount * rate_on(on) for on, amount in layers), Decimal(0))
    return Money.rounded(balance * rate_on(end) - carrying, reporting_currency, ROUND_HALF_EVEN)


RATE_QUANTUM = Decimal("1E-8")  # rates are stored with 8 decimals (the journal's RATE column)


def convert_rate(direct: Decimal | None, inverse: Decimal | None) -> Decimal | None:
    """R per unit of C from a rate recorded either way round (ECB publishes EUR→C: its inverse serves C→EUR).
    An inverse is rounded half-even to the 8 decimals a rate is stored with, so the rate the entry records is
    the one its differences were computed with."""
    if direct is not None:
        return direct
    if inverse is not None:
        return (Decimal(1) / inverse).quantize(RATE_QUANTUM, ROUND_HALF_EVEN)
    return None
