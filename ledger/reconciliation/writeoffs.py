"""Writing off a difference while matching by hand, as plain rules over plain values (no Flask, no ORM).

An officer matching a payment out to invoices may write off what keeps them apart, to a named account:
- short: the invoices ticked have more open than is allocated to them; the write-off settles them in full
  (`written_off` on each allocation) and the transfer gives only what was allocated;
- over: the transfer has more unallocated than is allocated; the write-off takes the whole transfer and
  the excess goes to the account.
Both at once is refused (allocate all of the transfer, or settle the invoices in full, first).

How much a role may write off alone is configuration (`LEDGER_WRITE_OFF_LIMITS`, "role=amount,…", in the
currency of the match); above it a second officer approves the write-off (`ledger.approvals`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: Where a write-off may go: the journal's account purpose → what an officer calls it.
ACCOUNTS: dict[str, str] = {
    "bank_charges": "bank charges",
    "fx_differences": "FX difference",
    "rounding": "rounding",
}

#: Without `LEDGER_WRITE_OFF_LIMITS`: what an officer may write off alone (roles not named: nothing).
DEFAULT_LIMITS = "finance_officer=100.00"


class LimitsError(ValueError):
    pass


def parse_limits(text: str) -> dict[str, Decimal]:
    """"finance_officer=100.00,admin=0" → {role: amount}; refuses anything else with a sentence."""
    limits: dict[str, Decimal] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        role, sep, amount = part.partition("=")
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            value = None
        if not sep or not role.strip() or value is None or not value.is_finite() or value < 0:
            raise LimitsError(f"LEDGER_WRITE_OFF_LIMITS: {part!r} is not role=amount (e.g. finance_officer=100.00)")
        limits[role.strip()] = value
    return limits


def limit_for(limits: dict[str, Decimal], role: str) -> Decimal:
    return limits.get(role, Decimal(0))


@dataclass(frozen=True)
class Pick:
    """An invoice ticked for a match: what it has open now and what the officer allocates to it."""

    invoice_id: int
    open_amount: Decimal
    amount: Decimal


@dataclass(frozen=True)
class WriteOffPlan:
    """What a match with a write-off posts: per invoice (amount, written off), what leaves the transfer, the
    residual (positive: short, as the engine's) and the amount written off."""

    allocations: tuple[tuple[int, Decimal, Decimal], ...]
    transfer_amount: Decimal
    residual: Decimal
    written_off: Decimal


def shortfall(picks: list[Pick]) -> Decimal:
    return sum((p.open_amount - p.amount for p in picks), Decimal(0))


def plan(picks: list[Pick], unallocated: Decimal) -> WriteOffPlan:
    """The write-off that makes the picks settle: the invoices' shortfall or the transfer's excess (one of them).

    Raises ValueError with the officer's sentence when there is nothing, or too much, to write off."""
    allocated = sum((p.amount for p in picks), Decimal(0))
    short, excess = shortfall(picks), unallocated - allocated
    if short > 0 and excess > 0:
        raise ValueError(f"both the invoices ({short} short) and the transfer ({excess} left) would have money "
                         "left: allocate all of the transfer, or settle the invoices in full, first")
    if short > 0:
        return WriteOffPlan(tuple((p.invoice_id, p.amount, p.open_amount - p.amount) for p in picks), allocated,
                            short, short)
    if excess > 0:
        return WriteOffPlan(tuple((p.invoice_id, p.amount, Decimal(0)) for p in picks), unallocated, -excess, excess)
    raise ValueError("there is no difference to write off: the allocation settles the invoices exactly")
