"""Budget rules as plain functions over plain values: what a line allows and what a change would do to it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Execution:
    """A budget line's execution: what was voted (with revisions), and what obligations committed, invoices
    consumed and payments paid of it. `available` is voted − committed (negative after an approved excess)."""

    voted: Decimal
    committed: Decimal
    invoiced: Decimal
    paid: Decimal
    approved_excess: Decimal = Decimal(0)

    @property
    def available(self) -> Decimal:
        return self.voted - self.committed

    @property
    def ceiling(self) -> Decimal:
        """What commitments may reach without a new approval: the voted amount plus approved excesses."""
        return self.voted + self.approved_excess


def excess(execution: Execution, commitment: Decimal) -> Decimal:
    """How far committing `commitment` more would go beyond the line's ceiling (0 if it fits). A commitment that
    lowers the total (a re-pricing down) never exceeds: releasing budget needs no approval."""
    if commitment <= 0:
        return Decimal(0)
    return max(Decimal(0), execution.committed + commitment - execution.ceiling)


def revision_refusal(execution: Execution, amount: Decimal) -> str | None:
    """Why a revision of `amount` (signed) cannot be made, or None: a cut may not leave committed above voted."""
    if amount < 0 and execution.committed > execution.voted + amount:
        return (f"the line has {execution.committed} committed: the voted amount cannot fall below it "
                f"(at most {max(Decimal(0), execution.voted - execution.committed)} can be cut)")
    if execution.voted + amount < 0:
        return "the voted amount cannot become negative"
    return None
