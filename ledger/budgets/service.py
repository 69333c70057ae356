"""Budget lines, their revisions and execution, and the commitment check run at every accrual.

Commitment accounting, read from the obligations an agreement accrues (no second record to drift):
- an obligation *commits* budget when it is accrued, in the payer's fiscal year of the month it is booked into;
  re-pricing adjustments commit (or release) under the kind they adjust; advance offsets are not spending (they
  settle obligations out of an advance already committed) and commit nothing;
- it is *invoiced* (consumed) once an approved invoice settles it, and *paid* once that invoice is paid
  (the obligation's status, set by the invoice and reconciliation features).

A line without a category covers every obligation of the agreement; a line with one covers obligations of that
kind. When an accrual would take a line's commitments above its ceiling (voted + revisions + approved excess),
the line's `on_exceed` decides: `refuse` answers `422 budget_exceeded` and nothing of the run is stored;
`approve` holds the agreement's accrual (nothing posted, nothing marked priced, so the next run prices it again)
and asks a second officer (`ledger.approvals`, kind `budget_commitment`); approving raises the line's approved
excess by what was asked and runs the accrual again in the approving transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.agreements import queries as agreement_queries
from ledger.approvals import queries as approval_queries
from ledger.approvals import service as approvals
from ledger.audit.service import describe, record_change
from ledger.auth import Principal
from ledger.budgets import fiscal, rules
from ledger.budgets.models import ON_EXCEED, BudgetLine, BudgetRevision
from ledger.db import fetch
from ledger.errors import Conflict, Unprocessable, field_error
from ledger.money import Money, MoneyError
from ledger.parties import queries as parties
from ledger.wire import Extended

#: Obligation kinds a line may be restricted to (what `agreements.obligations` prices).
CATEGORIES = ("per_returnee_fee", "monthly_support", "instalment", "milestone", "advance")
NOT_SPENDING = ("advance_offset",)
APPROVAL_KIND = "budget_commitment"
SYSTEM = Principal(key="system:accrual", name="accrual run", role="finance_officer")


def start_month(session: Session, party_code: str) -> int:
    party = parties.get(session, party_code)
    return party.fiscal_year_start_month if party is not None else 1


def get(session: Session, line_id: int) -> BudgetLine:
    return fetch(session, BudgetLine, line_id, "budget line")


def _exact(amount: Decimal, currency: str, field: str) -> Decimal:
    try:
        return Money.exact(amount, currency).amount
    except MoneyError:
        raise field_error(field, f"{currency} amounts are written with exactly their currency's minor units") from None


# ---- execution ---------------------------------------------------------------------------------------

def execution(session: Session, line: BudgetLine) -> rules.Execution:
    """A line's figures: what is voted (with revisions), and what the obligations it covers (the agreement's
    spending in the fiscal year, of the line's kind when it has one) commit, invoice and pay."""
    agreement = agreement_queries.get(session, line.agreement_id)
    first, last = fiscal.bounds(line.fiscal_year, start_month(session, agreement.payer_code))
    committed, invoiced, paid = agreement_queries.spending(session, line.agreement_id, line.category, first, last,
                                                           NOT_SPENDING)
    revised = session.execute(select(func.coalesce(func.sum(BudgetRevision.amount), 0))
                              .where(BudgetRevision.budget_line_id == line.id)).scalar()
    return rules.Execution(voted=Decimal(line.voted) + Decimal(revised), committed=committed,
                           invoiced=invoiced, paid=paid, approved_excess=Decimal(line.approved_excess))


@dataclass(frozen=True)
class LineExecution:
    """A budget line with its execution's figures (in the line's currency)."""

    line: BudgetLine
    figures: rules.Execution

    @property
    def category(self) -> str | None:
        return self.line.category or None


@dataclass(frozen=True)
class Revision:
    amount: Money
    reason: str
    created_at: datetime


def line_execution(session: Session, line: BudgetLine) -> LineExecution:
    return LineExecution(line, execution(session, line))


def budgeted(session: Session, line: BudgetLine) -> Extended:
    """The line with its revisions and execution."""
    return Extended(line, category=line.category or None, execution=line_execution(session, line),
                    revisions=[Revision(Money(Decimal(r.amount), line.currency), r.reason, r.created_at)
                               for r in revisions(session, line.id)])


def revisions(session: Session, line_id: int) -> list[BudgetRevision]:
    return list(session.execute(select(BudgetRevision).where(BudgetRevision.budget_line_id == line_id)
                                .order_by(BudgetRevision.id)).scalars())


def lines_query(fiscal_year: int | None = None, agreement_id: int | None = None):
    query = select(BudgetLine)
    if fiscal_year is not None:
        query = query.where(BudgetLine.fiscal_year == fiscal_year)
    if agreement_id is not None:
        query = query.where(BudgetLine.agreement_id == agreement_id)
    return query


# ---- writes ------------------------------------------------------------------------------------------

def create(session: Session, data: dict) -> BudgetLine:
    """A new line; every problem with the request is a 422 naming its field, and nothing is stored then."""
    agreement = agreement_queries.get(session, data["agreement"])
    if agreement is None:
        raise field_error("agreement", "no such agreement")
    if data["currency"] != agreement.currency:
        raise field_error("currency", f"the agreement is in {agreement.currency}: its budget line must be too",
                          "currency_mismatch")
    voted = _exact(data["voted"], data["currency"], "voted")
    if voted < 0:
        raise field_error("voted", "a voted amount cannot be negative")
    category = data.get("category") or ""
    if category and category not in CATEGORIES:
        raise field_error("category", f"one of {', '.join(CATEGORIES)} (or none for the whole agreement)")
    if data["on_exceed"] not in ON_EXCEED:
        raise field_error("on_exceed", "refuse or approve")
    if not fiscal.MIN_YEAR <= data["fiscal_year"] <= fiscal.MAX_YEAR:
        raise field_error("fiscal_year", f"a fiscal year from {fiscal.MIN_YEAR} to {fiscal.MAX_YEAR}")
    exists = session.execute(select(BudgetLine.id).where(
        BudgetLine.fiscal_year == data["fiscal_year"], BudgetLine.agreement_id == agreement.id,
        BudgetLine.category == category)).first()
    if exists:
        raise Conflict("this agreement already has a line for that fiscal year and category",
                       code="budget_line_exists")
    line = BudgetLine(fiscal_year=data["fiscal_year"], agreement_id=agreement.id, category=category, voted=voted,
                      currency=agreement.currency, on_exceed=data["on_exceed"])
    session.add(line)
    session.flush()
    ex = execution(session, line)
    if ex.committed > ex.voted:
        raise field_error("voted", f"{ex.committed} is already committed in that year: vote at least that",
                          "budget_exceeded")
    describe(session, "budget_line.create", "budget_line", line.id,
             f"FY{line.fiscal_year} agreement {agreement.id} {category or 'all'} {voted} {line.currency}")
    return line


def revise(session: Session, line: BudgetLine, amount: Decimal, reason: str) -> BudgetRevision:
    amount = _exact(amount, line.currency, "amount")
    if amount == 0:
        raise field_error("amount", "a revision changes the voted amount: it cannot be zero")
    refused = rules.revision_refusal(execution(session, line), amount)
    if refused:
        raise field_error("amount", refused, "budget_exceeded")
    revision = BudgetRevision(budget_line_id=line.id, amount=amount, reason=reason)
    session.add(revision)
    record_change(session, line, "budget_line.revise", "budget_line", line.id, f"{amount} {line.currency}")
    return revision


# ---- the commitment check at accrual -----------------------------------------------------------------

def _line_amounts(session: Session, agreement, drafts: Sequence, lines: list[BudgetLine],
                  start: int) -> dict[int, Decimal]:
    """What the drafts would commit against each line."""
    kinds = agreement_queries.kinds_of(session, agreement.id, {d.adjusts for d in drafts if d.adjusts})
    by_year_kind: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for draft in drafts:
        if draft.kind in NOT_SPENDING:
            continue
        kind = kinds.get(draft.adjusts, draft.kind) if draft.adjusts else draft.kind
        by_year_kind[(fiscal.fiscal_year_of(draft.period, start), kind)] += draft.amount.amount
    return {line.id: sum((amount for (year, kind), amount in by_year_kind.items()
                          if year == line.fiscal_year and (not line.category or kind == line.category)), Decimal(0))
            for line in lines}


def check_commitments(session: Session, agreement, drafts: Sequence, period: str,
                      principal: Principal | None = None) -> bool:
    """Before an accrual posts `drafts`: refuse (422 `budget_exceeded`) or hold them for approval (returns True)
    when they would take a budget line beyond its ceiling. False: post them."""
    if not drafts:
        return False
    start = start_month(session, agreement.payer_code)
    years = {fiscal.fiscal_year_of(d.period, start) for d in drafts}
    lines = list(session.execute(select(BudgetLine).where(
        BudgetLine.agreement_id == agreement.id, BudgetLine.fiscal_year.in_(years))
        .order_by(BudgetLine.id).with_for_update()).scalars())
    if not lines:
        return False
    amounts = _line_amounts(session, agreement, drafts, lines, start)
    held = False
    for line in lines:
        ex = execution(session, line)
        over = rules.excess(ex, amounts[line.id])
        if not over:
            continue
        figures = {"budget_line": line.id, "fiscal_year": line.fiscal_year, "currency": line.currency,
                   "voted": str(Money(ex.voted, line.currency)), "committed": str(Money(ex.committed, line.currency)),
                   "requested": str(Money(amounts[line.id], line.currency)),
                   "available": str(Money(ex.available, line.currency)),
                   "excess": str(Money(over, line.currency))}
        if line.on_exceed == "refuse":
            raise Unprocessable(f"accruing {period} would commit {figures['requested']} {line.currency} against "
                                f"budget line {line.id} (FY{line.fiscal_year}), {figures['excess']} beyond it",
                                code="budget_exceeded", errors={"budget_line": [f"{line.id}"]}, extra=figures)
        _ask(session, agreement, line, period, figures, principal or SYSTEM)
        held = True
    return held


def _ask(session: Session, agreement, line: BudgetLine, period: str, figures: dict,
         principal: Principal) -> None:
    payload = {**figures, "agreement": agreement.id, "period": period}
    subject = f"budget_line:{line.id}"
    asked = approval_queries.pending_payloads(session, APPROVAL_KIND, subject)
    if any(json.loads(p) == payload for p in asked):
        return  # the same request is already waiting
    approvals.request(session, kind=APPROVAL_KIND, subject=subject, payload=payload, principal=principal,
                      summary=f"FY{line.fiscal_year} budget line {line.id}: commit {figures['requested']} "
                              f"{line.currency} ({figures['excess']} beyond the line) accruing {period}",
                      amount=Decimal(figures["excess"]), currency=line.currency)


def approve_commitment(session: Session, payload: dict, approval) -> None:
    """The approval handler: allow the excess asked for, then accrue the held period again."""
    from ledger.agreements import service as agreements

    line = session.execute(select(BudgetLine).where(BudgetLine.id == payload["budget_line"])
                           .with_for_update()).scalar_one()
    line.approved_excess = Decimal(line.approved_excess) + Decimal(payload["excess"])
    record_change(session, line, "budget_line.approve_excess", "budget_line", line.id,
                  f"{payload['excess']} {line.currency}")
    agreement = agreement_queries.get(session, payload["agreement"])
    agreements.accrue_agreement(session, agreement, payload["period"])
