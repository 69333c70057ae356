"""Reimbursement of actual costs up to caps (terms ``cost_reimbursement``): pure rules over plain values.

A host invoices what it actually spent on a returnee, line by line (kind ``actual_cost``), each with a cost
``category`` and an ``evidence_ref`` (the receipt, contract or file the figure comes from). The agreement
reimburses up to a cap per person over the whole stay (UK–Rwanda: "up to £150,874 per person over five years"),
and optionally per category and per calendar year of the line's period. Decisions:

* **Flagged, not refused.** A line above a cap is a finding ``cap_exceeded`` on the invoice, with ``remaining``:
  the headroom left before the line (the smallest of the caps that apply, never below zero). The invoice is
  stored ``disputed`` like any invoice with findings; it is never paid silently: a finance officer disputes or
  rejects it, or approves over the finding with a reason (the invoices' override rule). Refusing at intake
  would lose the host's evidence and the conversation about it; flagging keeps both, and the money still waits
  for a decision.
* **What counts as consumed**: every ``actual_cost`` line of the returnee on the agreement's *invoices* that are
  not rejected (received, disputed, approved or paid) — so two invoices waiting for a decision cannot each use
  the same headroom — plus the earlier lines of the same invoice, in document order. Each line counts in full,
  even when it was itself above a cap (what was asked stays asked until the invoice is rejected). Credit notes
  are not counted (they correct a paid figure, they do not free a cap).
* **Which caps**: those of the terms in force on the first day of the line's period.
* **Year** is the calendar year of the line's period (the annual quota counts calendar years too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ledger.agreements.rules.terms import CostReimbursement
from ledger.money import Money

ACTUAL_COST = "actual_cost"


@dataclass(frozen=True, slots=True)
class CostLine:
    """One actual cost claimed for a returnee: ``period`` is ``YYYY-MM``."""

    line: str
    returnee_id: int
    category: str
    period: str
    amount: Money


@dataclass(frozen=True, slots=True)
class CapBreach:
    """``line`` asks more than the headroom: ``cap`` is ``per_person``, ``per_category`` or ``per_year``."""

    line: str
    cap: str
    limit: Money
    remaining: Money
    amount: Money

    @property
    def message(self) -> str:
        what = {"per_person": "the cap per person", "per_category": "the cap for its category",
                "per_year": "the cap per year"}[self.cap]
        return (f"line {self.line}: {self.amount} asked, {self.remaining} left under {what} of {self.limit}")


class Consumption:
    """What each returnee has consumed so far: in total, per category and per year."""

    def __init__(self, lines: Iterable[CostLine] = ()) -> None:
        self.person: dict[int, Decimal] = {}
        self.category: dict[tuple[int, str], Decimal] = {}
        self.year: dict[tuple[int, str], Decimal] = {}
        for line in lines:
            self.add(line)

    def add(self, line: CostLine) -> None:
        amount = line.amount.amount
        self.person[line.returnee_id] = self.person.get(line.returnee_id, Decimal(0)) + amount
        key = (line.returnee_id, line.category)
        self.category[key] = self.category.get(key, Decimal(0)) + amount
        year = (line.returnee_id, line.period[:4])
        self.year[year] = self.year.get(year, Decimal(0)) + amount


def headroom(terms: CostReimbursement, consumed: Consumption, line: CostLine) -> tuple[str, Money, Money]:
    """(the binding cap's name, its limit, what is left under it) for ``line`` before it is counted."""
    cur = terms.cap_per_person.currency
    caps = [("per_person", terms.cap_per_person, consumed.person.get(line.returnee_id, Decimal(0)))]
    category_cap = terms.category_cap(line.category)
    if category_cap is not None:
        caps.append(("per_category", category_cap, consumed.category.get((line.returnee_id, line.category),
                                                                          Decimal(0))))
    if terms.cap_per_year is not None:
        caps.append(("per_year", terms.cap_per_year, consumed.year.get((line.returnee_id, line.period[:4]),
                                                                        Decimal(0))))
    name, limit, used = min(caps, key=lambda c: (c[1].amount - c[2], c[0]))
    return name, limit, Money(max(limit.amount - used, Decimal(0)), cur)


def check_caps(terms_of: dict[str, CostReimbursement | None], consumed: Consumption,
               lines: Sequence[CostLine]) -> list[CapBreach]:
    """Each line of ``lines`` (in document order) above the headroom left by ``consumed`` and the earlier lines;
    ``terms_of`` gives the caps in force for each line's period (lines whose period has none are skipped: the
    caller reports them). ``consumed`` is updated with every line."""
    breaches = []
    for line in lines:
        terms = terms_of.get(line.period)
        if terms is None:
            continue
        cap, limit, left = headroom(terms, consumed, line)
        if line.amount.amount > left.amount:
            breaches.append(CapBreach(line.line, cap, limit, left, line.amount))
        consumed.add(line)
    return breaches


__all__ = ["ACTUAL_COST", "CapBreach", "Consumption", "CostLine", "check_caps", "headroom"]
