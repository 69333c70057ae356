"""Multilateral netting of accepted, unpaid compensation claims between member states.

A claim whose transfer a released payment batch ordered is in transit, not open: its money is with the issuing
state's bank, so netting it again would pay it twice.

Each accepted claim is a debt of the issuing state to the enforcing state. For one currency, netting
replaces all of them by each state's net position (positive: it receives; negative: it pays; the
positions sum to zero) and a list of transfers settling those positions in which no state both pays and
receives.

The fewest transfers: with n parties with non-zero positions, and k the largest number of groups they
can be split into that each sum to zero, the minimum is exactly n - k. (Lower bound: the transfers form a
graph on the n parties; each connected component must sum to zero, so there are at most k components,
and a graph with at most k components on n vertices has at least n - k edges. Upper bound: a zero-sum
group of m parties is settled greedily with m - 1 transfers.) Finding the largest k is NP-hard in
general (it contains subset-sum), so:

- up to `EXACT_LIMIT` (15) non-zero parties: exact, by dynamic programming over subsets (bitmask DP,
  2^n subset sums, O(2^n * n) time, well under a second for 15);
- beyond that: pair off exact opposites; split what is left exactly if it is now small enough, else
  settle it greedily, largest debtor to largest creditor.
  Each greedy step clears at least one party, so this never uses more than n - 1 transfers, but it is not
  always minimal. The EU has 27 member states; with more than 15 of them owing each other in one currency
  in one period, a few extra transfers are the price of a bounded run time. `SettlementPlan.optimal`
  says which method was used.

The output is deterministic: ties are broken by state code, and transfers are sorted by (payer, payee).
Arithmetic is done in integer minor units, so nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.money import Money, minor_units
from ledger.recognition.rules import RecognitionRuleError
from ledger.recognition.rules.dates import add_months

#: Up to this many non-zero parties per currency the minimum number of transfers is computed exactly.
EXACT_LIMIT = 15


class NettingError(RecognitionRuleError):
    """Codes: mixed_currencies, unbalanced_positions, no_positions, same_state, negative_amount,
    invalid_period."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(code, message, line_index=None, field=field)


@dataclass(frozen=True, slots=True)
class NettableClaim:
    """A compensation claim as netting sees it: the issuing state owes the enforcing state `payable`."""

    claim_id: str
    issuing_state: str
    enforcing_state: str
    payable: Money
    accepted_on: date | None
    paid_on: date | None = None
    ordered_on: date | None = None  # the transfer a released payment batch ordered (in transit until paid)

    def in_transit_at(self, end: date) -> bool:
        """Ordered by `end` and not paid by then."""
        return (self.ordered_on is not None and self.ordered_on <= end
                and (self.paid_on is None or self.paid_on > end))


@dataclass(frozen=True, slots=True)
class Transfer:
    payer: str
    payee: str
    amount: Money


@dataclass(frozen=True, slots=True)
class SettlementPlan:
    currency: str
    positions: dict[str, Money]
    transfers: tuple[Transfer, ...]
    #: True when the number of transfers is proven minimal (exact method), False for the greedy fallback.
    optimal: bool


def period_end(period: str) -> date:
    """The last day of a `YYYY-MM` period."""
    try:
        year_text, month_text = period.split("-")
        if len(year_text) != 4 or len(month_text) != 2:
            raise ValueError
        first = date(int(year_text), int(month_text), 1)
        following = add_months(first, 1)  # 9999-12 has none: its end is past the calendar
    except (ValueError, OverflowError):
        raise NettingError("invalid_period", f"{period!r} is not a YYYY-MM period", field="period") from None
    return date.fromordinal(following.toordinal() - 1)


def open_claims(claims: Iterable[NettableClaim], period: str, currency: str) -> list[NettableClaim]:
    """The claims netted for `period` in `currency`: accepted by the period's last day and neither paid nor
    ordered (in transit) by then.

    Claims paid or ordered after the period end are still open at it, so re-running the netting of a past period
    gives the same answer.
    """
    end = period_end(period)
    return [
        claim
        for claim in claims
        if claim.payable.currency == currency
        and claim.accepted_on is not None
        and claim.accepted_on <= end
        and (claim.paid_on is None or claim.paid_on > end)
        and (claim.ordered_on is None or claim.ordered_on > end)
    ]


def net_positions(claims: Iterable[NettableClaim]) -> dict[str, Money]:
    """Each state's net position over `claims` (all in one currency): what it receives minus what it pays.

    Every state named by a claim appears, also with a zero position; keys are sorted by state code.
    """
    claims = list(claims)
    if not claims:
        return {}
    currency = _single_currency(c.payable for c in claims)
    positions: dict[str, Money] = {}
    for claim in claims:
        if claim.issuing_state == claim.enforcing_state:
            raise NettingError("same_state", f"claim {claim.claim_id}: a state cannot owe itself", field="claims")
        if claim.payable.amount < 0:
            raise NettingError("negative_amount", f"claim {claim.claim_id}: payable cannot be negative")
        zero = Money.zero(currency)
        positions[claim.issuing_state] = positions.get(claim.issuing_state, zero) - claim.payable
        positions[claim.enforcing_state] = positions.get(claim.enforcing_state, zero) + claim.payable
    return dict(sorted(positions.items()))


def net_positions_by_currency(claims: Iterable[NettableClaim]) -> dict[str, dict[str, Money]]:
    """`net_positions` for each currency present, keyed by currency code (sorted)."""
    by_currency: dict[str, list[NettableClaim]] = {}
    for claim in claims:
        by_currency.setdefault(claim.payable.currency, []).append(claim)
    return {cur: net_positions(group) for cur, group in sorted(by_currency.items())}


def netting(claims: Iterable[NettableClaim], period: str, currency: str) -> SettlementPlan:
    """The netting of `period` in `currency`: positions over the open claims (`open_claims`) and the
    fewest transfers settling them. With no open claims the plan is empty (and optimal)."""
    positions = net_positions(open_claims(claims, period, currency))
    if not positions:
        return SettlementPlan(currency, {}, (), True)
    return plan_settlement(positions)


def settle(positions: Mapping[str, Money]) -> list[Transfer]:
    """The fewest transfers settling `positions` (exact up to EXACT_LIMIT parties; see module doc)."""
    return list(plan_settlement(positions).transfers)


def plan_settlement(positions: Mapping[str, Money]) -> SettlementPlan:
    """`settle` with the positions and whether the result is proven minimal."""
    if not positions:
        raise NettingError("no_positions", "nothing to settle: no positions given", field="positions")
    currency = _single_currency(positions.values())
    exponent = minor_units(currency)
    units = {
        state: int(money.amount.scaleb(exponent))
        for state, money in sorted(positions.items())
        if not money.is_zero()
    }
    if sum(units.values()) != 0:
        raise NettingError(
            "unbalanced_positions", "net positions must sum to zero in each currency", field="positions"
        )
    optimal = len(units) <= EXACT_LIMIT
    groups = _optimal_groups(units) if optimal else _heuristic_groups(units)
    transfers = [
        Transfer(payer, payee, Money(Decimal(amount).scaleb(-exponent), currency))
        for group in groups
        for payer, payee, amount in _settle_group({s: units[s] for s in group})
    ]
    transfers.sort(key=lambda t: (t.payer, t.payee))
    return SettlementPlan(currency, dict(sorted(positions.items())), tuple(transfers), optimal)


def _single_currency(amounts: Iterable[Money]) -> str:
    currencies = {m.currency for m in amounts}
    if len(currencies) != 1:
        raise NettingError(
            "mixed_currencies", f"netting is per currency, got {', '.join(sorted(currencies))}", field="currency"
        )
    return currencies.pop()


def _optimal_groups(units: dict[str, int]) -> list[list[str]]:
    """Split the parties into the largest number of zero-sum groups (bitmask DP over subsets).

    best[mask] = the most zero-sum groups that the parties in `mask` can be cut into when they are taken
    one at a time in some order and a group is closed whenever the running sum returns to zero:
    best[mask] = max_i best[mask - i] + (1 if sum(mask) == 0). Walking back from the full set along an
    optimal choice and cutting at each zero-sum mask recovers the groups.
    """
    states = list(units)  # sorted by code
    values = [units[s] for s in states]
    n = len(states)
    size = 1 << n
    sums = [0] * size
    best = [0] * size
    for mask in range(1, size):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + values[low.bit_length() - 1]
        most, rest = 0, mask
        while rest:
            bit = rest & -rest
            most = max(most, best[mask ^ bit])
            rest ^= bit
        best[mask] = most + (sums[mask] == 0)
    groups: list[list[str]] = []
    mask = last_cut = size - 1
    while mask:
        target = best[mask] - (sums[mask] == 0)
        rest = mask
        while rest:  # lowest index first: deterministic
            bit = rest & -rest
            if best[mask ^ bit] == target:
                break
            rest ^= bit
        mask ^= bit
        if sums[mask] == 0:
            groups.append([states[i] for i in range(n) if (last_cut ^ mask) >> i & 1])
            last_cut = mask
    return groups


def _heuristic_groups(units: dict[str, int]) -> list[list[str]]:
    """Pair exact opposites (each pair is one transfer); the rest is split exactly when it is small enough,
    else left as one group for the greedy."""
    debtors = sorted((s for s, v in units.items() if v < 0), key=lambda s: (units[s], s))
    creditors_by_amount: dict[int, list[str]] = {}
    for state in sorted(s for s, v in units.items() if v > 0):
        creditors_by_amount.setdefault(units[state], []).append(state)
    groups: list[list[str]] = []
    paired: set[str] = set()
    for debtor in debtors:
        candidates = creditors_by_amount.get(-units[debtor])
        if candidates:
            creditor = candidates.pop(0)
            groups.append([debtor, creditor])
            paired.update((debtor, creditor))
    rest = [s for s in units if s not in paired]
    if len(rest) <= EXACT_LIMIT:  # what is left may be small enough to split exactly
        return groups + (_optimal_groups({s: units[s] for s in rest}) if rest else [])
    return groups + [rest]


def _settle_group(units: dict[str, int]) -> list[tuple[str, str, int]]:
    """Greedy: the largest debtor pays the largest creditor as much as both allow, until all are clear.

    Each step clears at least one party (the last clears two), so a zero-sum group of m parties takes at
    most m - 1 transfers; signs never flip, so nobody both pays and receives.
    """
    owed = {s: -v for s, v in units.items() if v < 0}
    due = {s: v for s, v in units.items() if v > 0}
    transfers: list[tuple[str, str, int]] = []
    while owed and due:
        payer = min(owed, key=lambda s: (-owed[s], s))
        payee = min(due, key=lambda s: (-due[s], s))
        amount = min(owed[payer], due[payee])
        transfers.append((payer, payee, amount))
        for book, state in ((owed, payer), (due, payee)):
            book[state] -= amount
            if book[state] == 0:
                del book[state]
    return transfers
