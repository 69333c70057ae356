"""What a return agreement makes payable: obligations derived from its terms and the returnees' events.

Pure functions over plain values. The integration layer stores what it posted and calls :func:`accrue`
for a period (``ledger accrue PERIOD``); everything returned is new and is posted once. Every obligation
carries a stable natural ``key``: with a unique constraint on (agreement, key) a repeated run can never post
twice, and :func:`accrue` itself returns nothing new when nothing changed.

Pricing rules (each is what an auditor reading the agreement would expect, and each is tested):

* **Per-returnee fee** — due on the day the host *accepts* the returnee (the ``accepted`` event), priced by
  the version in force that day. The host is paid for taking responsibility for a person; a transfer the
  host never accepts makes nothing payable, and milestones count accepted returnees too, so fees and
  milestones agree on who counts. Acceptance outside the term (e.g. after termination) makes nothing due.
* **Monthly support** — one amount per calendar month of stay, starting with the month of acceptance and
  including the month of departure (the host bore costs for part of both), at most ``max_months`` months
  counted from acceptance. A month's support falls due on its first day (on the acceptance day for the
  first month) and is priced by the version in force that day. No month is due after the departure
  month or after the term ends (``effective_to`` / ``terminated_on``).
* **Instalments** — due on their ``due_on`` if the version in force that day lists them; fixed amounts,
  whatever the number of returnees. Instalments due outside the term are not due.
* **Milestones** — a threshold *T* fires once, on the acceptance date of the *T*-th accepted returnee
  (ordered by acceptance date, then id), if the version in force that day lists *T*; departures do not
  undo it.
* **Advance** — one advance, due on the first day an advance is in force (normally ``effective_from``), or
  ``advance.due_within_days`` after it (Italy–Albania: within 90 days of entry into force), priced by the
  version in force on that first day.
  Its kind is ``advance`` (API.md's kind list has ``advance_offset`` but no kind for the advance itself):
  an obligation of its own, invoiced (a line of kind ``advance``) and paid like any other. Only once paid
  is it offset against *later* invoices until used up (:func:`advance_offset`); never against the invoice
  that asks for it, and never while unpaid — offsetting money that was never transferred would close
  invoices nobody paid (:class:`AdvancePosition`).
* **Re-pricing** — when versions (a back-dated amendment) or facts (a late departure) change what past
  obligations should have been, the originals are never edited: :func:`reprice` posts an ``adjustment``
  for the net difference, dated on the first day of the current open period. Obligations that should
  have been due earlier but were never posted (a late event) are posted with their own kind and due date,
  booked into the current period.
* **Incremental runs** — re-pricing the whole history every month costs more each month. A :class:`Scope`
  says what an earlier run already settled: everything due up to its ``since`` date, priced by terms that
  have not changed (:func:`pricing_digest`), for every returnee whose facts have not changed. A run within
  a scope re-prices only the rest and gives exactly what a full run would (a property test holds it to that).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from ledger.agreements.rules.terms import (
    AgreementError,
    AgreementFacts,
    AgreementVersion,
    VersionTimeline,
)
from ledger.money import Money

PER_RETURNEE_FEE = "per_returnee_fee"
MONTHLY_SUPPORT = "monthly_support"
INSTALMENT = "instalment"
MILESTONE = "milestone"
ADVANCE = "advance"
ADVANCE_OFFSET = "advance_offset"
ADJUSTMENT = "adjustment"
DEPARTURE_GRANT = "departure_grant"
LATE_INTEREST = "late_interest"
#: Keys of obligations that decisions post (an invoice's advance offset, an officer's accepted interest), which
#: re-pricing never touches.
UNPRICED = (ADVANCE_OFFSET, "interest:")

#: Events that end a stay: each stops support on its date. ``voluntary_departure`` also makes the terms'
#: ``voluntary_departure_grant`` payable; ``returned_onward`` (to the country of origin) lets the host invoice
#: the journey as an actual cost of category ``onward_travel``.
DEPARTURES = ("departed", "voluntary_departure", "returned_onward")

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ObligationError(AgreementError):
    """Bad input to the obligation rules (``code="validation_error"``, with ``field``)."""


@dataclass(frozen=True, slots=True)
class ReturneeFacts:
    """The dates the pricing rules need about one returnee (no identity: the integration layer's id)."""

    id: int
    transferred_on: date
    accepted_on: date | None = None
    departed_on: date | None = None
    #: Which event ended the stay (one of DEPARTURES); None with ``departed_on`` reads as ``departed``.
    departure: str | None = None

    def __post_init__(self) -> None:
        if self.accepted_on is not None and self.accepted_on < self.transferred_on:
            raise ObligationError("accepted before being transferred", field="occurred_on")
        if self.departed_on is not None and self.departed_on < (self.accepted_on or self.transferred_on):
            raise ObligationError("departed before being transferred or accepted", field="occurred_on")


@dataclass(frozen=True, slots=True)
class ObligationDraft:
    """One amount the agreement makes payable, ready to be stored and posted.

    ``due_on`` is the day it arises (the journal entry's effective date); ``period`` is the monthly period
    it is booked into (later than ``due_on``'s month when it was found late). ``version`` is the number of
    the agreement version that priced it; ``adjusts`` is the key an adjustment corrects.
    """

    key: str
    kind: str
    returnee_id: int | None
    due_on: date
    amount: Money
    period: str
    version: int | None = None
    adjusts: str | None = None


class Accrued(Protocol):
    """What :func:`reprice` needs of an obligation already posted (an ``ObligationDraft`` or a model row)."""

    @property
    def key(self) -> str: ...
    @property
    def amount(self) -> Money: ...
    @property
    def due_on(self) -> date: ...
    @property
    def returnee_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of an agreement's obligations a run still has to re-price.

    An earlier run priced and posted everything due up to ``since``; since then neither the terms nor the
    agreement's dates changed, and of the returnees only those in ``changed`` did (new ones, new events).
    So only these keys can differ from what was posted: the agreement's own (advance, instalments,
    milestones: few, and milestones depend on every returnee's acceptance), every key of a changed
    returnee, and the other returnees' keys falling due after ``since``.
    """

    since: date
    changed: frozenset[int]

    def covers(self, returnee_id: int | None, due_on: date) -> bool:
        return returnee_id is None or returnee_id in self.changed or due_on > self.since


def pricing_digest(agreement: AgreementFacts, versions: Sequence[AgreementVersion]) -> str:
    """A fingerprint of everything the pricing reads besides returnees' facts: equal digests, equal prices."""
    ordered = sorted(versions, key=lambda v: v.number)
    facts = [agreement.currency, agreement.effective_from, agreement.effective_to, agreement.terminated_on]
    wire = [facts, [[v.number, v.effective_from, v.terms.to_wire()] for v in ordered]]
    return hashlib.sha256(json.dumps(wire, sort_keys=True, default=str).encode()).hexdigest()


# --- periods -----------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def period_of(day: date) -> str:
    """The ``YYYY-MM`` period a day belongs to."""
    return f"{day.year:04d}-{day.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM`` period; a malformed period is a ``validation_error``."""
    match = _PERIOD.match(period) if isinstance(period, str) else None
    if not match:
        raise ObligationError("period must be YYYY-MM", field="period")
    year, month = int(match[1]), int(match[2])
    try:
        first, following = date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
    except ValueError:  # year 0000, or 9999-12 whose end is past the calendar
        raise ObligationError("period must be a month of the calendar (0001-01 to 9999-11)", field="period") from None
    return first, date.fromordinal(following.toordinal() - 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- pricing -----------------------------------------------------------------------------------------


def price_obligations(
    agreement: AgreementFacts,
    versions: Sequence[AgreementVersion],
    returnees: Iterable[ReturneeFacts],
    through: date,
    scope: Scope | None = None,
) -> list[ObligationDraft]:
    """Everything the agreement makes payable with a due date up to ``through``, priced as the versions
    say *now*, each booked in its own due period (within ``scope`` if one is given). Sorted by due date,
    then key."""
    run = _Run(agreement, VersionTimeline(versions), list(returnees), through, scope)
    drafts = [draft for pricer in _PRICERS for draft in pricer(run)]
    return sorted(drafts, key=lambda d: (d.due_on, d.key))


def derive_obligations(
    agreement: AgreementFacts,
    versions: Sequence[AgreementVersion],
    returnees: Iterable[ReturneeFacts],
    period: str,
) -> list[ObligationDraft]:
    """The obligations that fall due within ``period``, as the versions price them now (deterministic:
    the same inputs give the same keys and amounts). To post a period use :func:`accrue`, which also
    catches up late events and re-prices."""
    first, last = period_bounds(period)
    return [d for d in price_obligations(agreement, versions, returnees, last) if d.due_on >= first]


class _Run:
    """What every pricing rule below reads: the agreement, its versions by date, the returnees, the last day
    priced (``through``) and the scope of an incremental run."""

    def __init__(self, agreement: AgreementFacts, timeline: VersionTimeline, returnees: list[ReturneeFacts],
                 through: date, scope: Scope | None) -> None:
        self.agreement, self.timeline, self.returnees = agreement, timeline, returnees
        self.through, self.scope = through, scope

    def due(self, day: date) -> bool:
        """Falls due within the term and by ``through``."""
        return day <= self.through and self.agreement.in_term(day)

    def covers(self, returnee_id: int, due_on: date) -> bool:
        """Is still to be priced by this run (always, without a scope)."""
        return self.scope is None or self.scope.covers(returnee_id, due_on)

    def draft(self, key: str, kind: str, due_on: date, amount: Money, version: AgreementVersion,
              returnee_id: int | None = None) -> ObligationDraft:
        if amount.currency != self.agreement.currency:
            raise ObligationError("terms are not in the agreement's currency", field="currency")
        return ObligationDraft(key, kind, returnee_id, due_on, amount, period_of(due_on), version.number)

    def accepted(self) -> list[ReturneeFacts]:
        """Returnees accepted within the term, in the order they count towards milestones."""
        accepted = [r for r in self.returnees if r.accepted_on is not None and self.agreement.in_term(r.accepted_on)]
        return sorted(accepted, key=lambda r: (r.accepted_on, r.id))


def _advance(run: _Run) -> Iterator[ObligationDraft]:
    for start in sorted({max(v.effective_from, run.agreement.effective_from) for v in run.timeline.versions}):
        version = run.timeline.at(start)
        if version is not None and version.terms.advance is not None:
            due_on = start + timedelta(days=version.terms.advance_due_days or 0)
            if run.due(due_on):
                yield run.draft("advance", ADVANCE, due_on, version.terms.advance, version)
            return


def _instalments(run: _Run) -> Iterator[ObligationDraft]:
    dates = sorted({i.due_on for v in run.timeline.versions for i in v.terms.instalments})
    for due_on in dates:
        version = run.timeline.at(due_on)
        if version is None or not run.due(due_on):
            continue
        same_day = [i for i in version.terms.instalments if i.due_on == due_on]
        for index, instalment in enumerate(same_day):
            yield run.draft(f"instalment:{due_on.isoformat()}:{index}", INSTALMENT, due_on, instalment.amount, version)


def _fees(run: _Run) -> Iterator[ObligationDraft]:
    for returnee in run.accepted():
        accepted_on = returnee.accepted_on
        if accepted_on is None:  # accepted() keeps the accepted returnees only
            raise ValueError(f"returnee {returnee.id} is not accepted")
        if not run.covers(returnee.id, accepted_on):
            continue
        version = run.timeline.at(accepted_on)
        if accepted_on <= run.through and version is not None and version.terms.per_returnee_fee is not None:
            fee = version.terms.per_returnee_fee
            yield run.draft(f"fee:r{returnee.id}", PER_RETURNEE_FEE, accepted_on, fee, version, returnee.id)


def support_months(agreement: AgreementFacts, returnee: ReturneeFacts, through: date) -> Iterator[tuple[int, date]]:
    """(month number from 1, due date) of each month of stay the host may claim support for, up to
    ``through``: from the acceptance month to the departure month, within the term."""
    if returnee.accepted_on is None or not agreement.in_term(returnee.accepted_on):
        return
    last = min(d for d in (through, returnee.departed_on, agreement.ends_on) if d is not None)
    due_on, number = returnee.accepted_on, 1
    while due_on <= last:
        yield number, due_on
        due_on, number = _next_month(due_on), number + 1


def _support(run: _Run) -> Iterator[ObligationDraft]:
    # No version pays beyond its max_months, so months past the largest cap need not be looked at.
    versions = run.timeline.versions
    cap = max((v.terms.monthly_support.max_months for v in versions if v.terms.monthly_support), default=0)
    for returnee in run.returnees:
        for number, due_on in support_months(run.agreement, returnee, run.through):
            if number > cap:
                break
            if not run.covers(returnee.id, due_on):
                continue
            version = run.timeline.at(due_on)
            support = version.terms.monthly_support if version else None
            if version is not None and support is not None and number <= support.max_months:
                key = f"support:r{returnee.id}:{period_of(due_on)}"
                yield run.draft(key, MONTHLY_SUPPORT, due_on, support.amount, version, returnee.id)


def _milestones(run: _Run) -> Iterator[ObligationDraft]:
    accepted = run.accepted()
    thresholds = sorted({m.returnees for v in run.timeline.versions for m in v.terms.milestones})
    for threshold in thresholds:
        if threshold > len(accepted):
            break
        reached_on = accepted[threshold - 1].accepted_on
        if reached_on is None:  # accepted() keeps the accepted returnees only
            raise ValueError("a milestone reached by a returnee who is not accepted")
        version = run.timeline.at(reached_on)
        amounts = {m.returnees: m.amount for m in version.terms.milestones} if version else {}
        if version is not None and threshold in amounts and reached_on <= run.through:
            yield run.draft(f"milestone:{threshold}", MILESTONE, reached_on, amounts[threshold], version)


def _grants(run: _Run) -> Iterator[ObligationDraft]:
    """The one-off ``voluntary_departure_grant``, due on the day of a voluntary departure within the term, priced
    by the version in force that day (acceptance is not needed: the grant rewards leaving, not being hosted)."""
    for returnee in run.returnees:
        departed_on = returnee.departed_on
        if returnee.departure != "voluntary_departure" or departed_on is None:
            continue
        if not run.due(departed_on) or not run.covers(returnee.id, departed_on):
            continue
        version = run.timeline.at(departed_on)
        if version is not None and version.terms.voluntary_departure_grant is not None:
            yield run.draft(f"grant:r{returnee.id}", DEPARTURE_GRANT, departed_on,
                            version.terms.voluntary_departure_grant, version, returnee.id)


#: The pricing rules, one per kind the terms make payable (their order does not matter: the result is sorted).
_PRICERS = (_advance, _instalments, _fees, _support, _milestones, _grants)


# --- accrual and re-pricing --------------------------------------------------------------------------


def adjusted_key(key: str) -> str:
    """The original key an obligation settles: itself, or the key an adjustment corrects."""
    if key.startswith("adjustment:"):
        return key[len("adjustment:") :].rsplit(":", 1)[0]
    return key


def reprice(
    previously_accrued: Iterable[Accrued],
    agreement: AgreementFacts,
    versions: Sequence[AgreementVersion],
    returnees: Iterable[ReturneeFacts],
    up_to_period: str,
    current_period: str,
    scope: Scope | None = None,
) -> list[ObligationDraft]:
    """What to post in ``current_period`` so that, for every obligation due up to ``up_to_period`` (and
    within ``scope``, if given), the originals plus their adjustments add up to what the versions and facts
    say now. ``previously_accrued`` must hold every obligation the scope covers; it may hold more.

    * a key never posted → the original (its own kind and due date), booked in ``current_period``;
    * a key posted with a different net amount (original plus earlier adjustments) → an ``adjustment``
      keyed ``adjustment:<key>:<n>`` for the difference, dated the first day of ``current_period``;
    * nothing else. Running it again after posting its result returns ``[]``.
    """
    current_first, _ = period_bounds(current_period)
    _, through = period_bounds(up_to_period)
    if through > period_bounds(current_period)[1]:
        raise ObligationError("cannot re-price beyond the current period", field="period")
    expected = {d.key: d for d in price_obligations(agreement, versions, returnees, through, scope)}
    posted, adjustments, originals = _posted_totals(previously_accrued)
    if scope is not None:  # keys outside the scope were settled by an earlier run: leave them alone
        originals = {k: o for k, o in originals.items() if scope.covers(o.returnee_id, o.due_on)}
        posted = {k: v for k, v in posted.items() if k in originals}
    result = []
    for key in set(expected) | {k for k, o in originals.items() if o.due_on <= through}:
        want = expected.get(key)
        if key not in posted:
            if want is not None:
                result.append(replace(want, period=current_period))
            continue
        difference = (want.amount.amount if want else Decimal(0)) - posted[key]
        if difference:
            returnee_id = want.returnee_id if want else originals[key].returnee_id
            amount = Money(difference, agreement.currency)
            number = adjustments.get(key, 0) + 1
            version = want.version if want else None
            result.append(
                ObligationDraft(
                    f"adjustment:{key}:{number}",
                    ADJUSTMENT,
                    returnee_id,
                    current_first,
                    amount,
                    current_period,
                    version,
                    key,
                )
            )
    return sorted(result, key=lambda d: (d.due_on, d.key))


def accrue(
    previously_accrued: Iterable[Accrued],
    agreement: AgreementFacts,
    versions: Sequence[AgreementVersion],
    returnees: Iterable[ReturneeFacts],
    period: str,
    scope: Scope | None = None,
) -> list[ObligationDraft]:
    """Everything new to post when accruing the open ``period``: what falls due in it, anything due
    earlier that was missed, and adjustments for re-priced past obligations (within ``scope``: see
    :class:`Scope`). Idempotent: once its result is posted, the same call returns ``[]``."""
    return reprice(previously_accrued, agreement, versions, returnees, period, period, scope)


def _posted_totals(accrued: Iterable[Accrued]) -> tuple[dict[str, Decimal], dict[str, int], dict[str, Accrued]]:
    """Per original key: net amount posted (original + adjustments), count of adjustments, the original.

    Sums plain Decimals (exact: every amount already has the currency's minor units) because this runs
    over every obligation an agreement ever had."""
    totals: dict[str, Decimal] = {}
    adjustments: dict[str, int] = {}
    originals: dict[str, Accrued] = {}
    for item in accrued:
        if item.key.startswith(UNPRICED):
            continue  # advance offsets and accepted late interest: posted by decisions, not priced by the terms
        base = adjusted_key(item.key)
        totals[base] = totals.get(base, Decimal(0)) + item.amount.amount
        if base != item.key:
            adjustments[base] = max(adjustments.get(base, 0), int(item.key.rsplit(":", 1)[1]))
        else:
            originals[base] = item
    return totals, adjustments, originals


# --- advance offset ----------------------------------------------------------------------------------


def advance_remaining(accrued: Iterable[Accrued], currency: str) -> Money:
    """The advance not yet offset: the advance (with its adjustments) plus the (negative) offsets so far."""
    remaining = Money.zero(currency)
    for item in accrued:
        if adjusted_key(item.key) == "advance" or item.key.startswith(f"{ADVANCE_OFFSET}:"):
            remaining = remaining + item.amount
    return remaining


def is_advance(key: str) -> bool:
    """The advance itself or an adjustment of it (an amendment changing the advance)."""
    return adjusted_key(key) == ADVANCE


@dataclass(frozen=True, slots=True)
class AdvancePosition:
    """Where an agreement's advance stands: ``amount`` due by the terms (with adjustments), ``paid`` of it,
    ``offset`` against later invoices so far (positive). What is paid and not yet offset is ``outstanding``:
    the most the next invoices may be reduced by."""

    amount: Money
    paid: Money
    offset: Money

    @property
    def unpaid(self) -> Money:
        return self.amount - self.paid

    @property
    def outstanding(self) -> Money:
        return self.paid - self.offset


def advance_position(accrued: Iterable[Accrued], paid_keys: Iterable[str], currency: str) -> AdvancePosition:
    """The advance's position from the obligations posted; ``paid_keys`` are the keys whose invoice was paid."""
    paid_keys = set(paid_keys)
    amount = paid = offset = Money.zero(currency)
    for item in accrued:
        if is_advance(item.key):
            amount = amount + item.amount
            if item.key in paid_keys:
                paid = paid + item.amount
        elif item.key.startswith(f"{ADVANCE_OFFSET}:"):
            offset = offset - item.amount
    return AdvancePosition(amount, paid, offset)


def advance_offset(advance_remaining: Money, invoice_total: Money) -> Money:
    """How much of an approved invoice the remaining advance covers (positive; zero once used up).

    The advance was paid up front, so the payer owes in cash only ``invoice_total`` minus this amount.
    """
    if advance_remaining.amount <= 0 or invoice_total.amount <= 0:
        return Money.zero(invoice_total.currency)
    return min(advance_remaining, invoice_total)


def advance_offset_obligation(
    invoice_id: int, invoice_total: Money, advance_remaining: Money, approved_on: date, period: str
) -> ObligationDraft | None:
    """The ``advance_offset`` obligation (a negative amount) for one approved invoice, or None if nothing
    is left to offset; keyed by the invoice so approving it twice offsets once."""
    covered = advance_offset(advance_remaining, invoice_total)
    if covered.is_zero():
        return None
    return ObligationDraft(
        f"{ADVANCE_OFFSET}:invoice:{invoice_id}", ADVANCE_OFFSET, None, approved_on, -covered, period
    )


__all__ = [
    "ADJUSTMENT",
    "ADVANCE",
    "ADVANCE_OFFSET",
    "DEPARTURES",
    "DEPARTURE_GRANT",
    "AdvancePosition",
    "INSTALMENT",
    "MILESTONE",
    "MONTHLY_SUPPORT",
    "PER_RETURNEE_FEE",
    "Accrued",
    "ObligationDraft",
    "ObligationError",
    "ReturneeFacts",
    "Scope",
    "accrue",
    "adjusted_key",
    "advance_offset",
    "advance_offset_obligation",
    "advance_position",
    "advance_remaining",
    "derive_obligations",
    "period_bounds",
    "period_of",
    "price_obligations",
    "pricing_digest",
    "reprice",
    "support_months",
]
