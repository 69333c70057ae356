"""Sorted buckets the rules search with bisection instead of comparing all pairs."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from decimal import Decimal

from ledger.reconciliation.types import OpenInvoice, OpenTransfer


@dataclass(slots=True)
class AmountBucket:
    """Open invoices of one (party, direction, currency), sorted by open amount, for range lookups."""

    amounts: list[Decimal] = field(default_factory=list)
    invoices: list[OpenInvoice] = field(default_factory=list)
    max_tolerance: Decimal = Decimal(0)


@dataclass(slots=True)
class DueBucket:
    """Open invoices of one (party, direction, currency), sorted by due date, for window scans."""

    days: list[int] = field(default_factory=list)
    invoices: list[OpenInvoice] = field(default_factory=list)
    max_tolerance: Decimal = Decimal(0)


@dataclass(slots=True)
class BookedBucket:
    """Unmatched transfers of one (party, settled direction, currency), sorted by booking date."""

    days: list[int] = field(default_factory=list)
    transfers: list[OpenTransfer] = field(default_factory=list)


def nearest_first(days: list[int], centre: int, low: int, high: int, budget: int) -> list[int]:
    """Positions of entries with low ≤ day ≤ high, nearest to `centre` first, at most `budget`."""
    right = bisect_left(days, centre)
    left = right - 1
    picked: list[int] = []
    while len(picked) < budget:
        take_right = right < len(days) and days[right] <= high
        take_left = left >= 0 and days[left] >= low
        if not (take_right or take_left):
            break
        if take_right and (not take_left or days[right] - centre <= centre - days[left]):
            picked.append(right)
            right += 1
        else:
            picked.append(left)
            left -= 1
    return picked
