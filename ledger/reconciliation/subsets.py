"""Bounded subset sums: which of a few candidate amounts add up to a target, within a tolerance.

Used both ways round (one transfer paying several invoices, several transfers paying one invoice).
The search is exhaustive over at most a dozen candidates and stops at a node budget, so a party with
thousands of open items cannot make a run explode; the caller learns whether the answer is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SubsetResult:
    #: Index tuples into the candidate list, in the order found (deterministic for a given input).
    solutions: tuple[tuple[int, ...], ...]
    #: False when the node budget ran out before the search was complete.
    complete: bool


def find_subsets(
    amounts: list[Decimal],
    low: Decimal,
    high: Decimal,
    *,
    min_size: int = 2,
    max_solutions: int = 2,
    node_budget: int = 20_000,
) -> SubsetResult:
    """Subsets (of at least `min_size` items) of positive `amounts` whose sum lies in [low, high].

    Stops after `max_solutions` (two is enough to tell "unique" from "ambiguous") or when the budget
    is spent. Depth-first in candidate order, pruned by the sum still reachable.
    """
    suffix = [Decimal(0)] * (len(amounts) + 1)
    for i in range(len(amounts) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + amounts[i]
    solutions: list[tuple[int, ...]] = []
    chosen: list[int] = []
    nodes = 0
    out_of_budget = False

    def walk(first: int, running: Decimal) -> bool:
        """Extends `chosen` with each later candidate; False stops the whole search."""
        nonlocal nodes, out_of_budget
        for j in range(first, len(amounts)):
            if running + suffix[j] < low:
                return True  # even taking everything left cannot reach the target
            nodes += 1
            if nodes > node_budget:
                out_of_budget = True
                return False
            reached = running + amounts[j]
            if reached > high:
                continue
            chosen.append(j)
            if reached >= low and len(chosen) >= min_size:
                solutions.append(tuple(chosen))
                if len(solutions) >= max_solutions:
                    return False
            if not walk(j + 1, reached):
                return False
            chosen.pop()
        return True

    walk(0, Decimal(0))
    return SubsetResult(tuple(solutions), not out_of_budget)
