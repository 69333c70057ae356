"""What agreements add to the settlement statement: who the agreement binds, what was invoiced, quota use."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.agreements.models import Agreement, AgreementVersionRow, Obligation, Returnee
from ledger.agreements.rules import obligations as rules
from ledger.agreements.rules.obligations import period_bounds
from ledger.money import Money


def agreement_info(session: Session, agreement_ids: list[int], period: str) -> dict[int, dict]:
    """Per agreement: reference, kind, payer, payee, `invoiced` (invoices received for the period, not
    rejected), and quota use: returnees accepted this calendar year against `annual_quota`, returnees present
    at the period's end against `capacity` (terms in force at the period's end); with an advance, where it
    stands (`advance_section`)."""
    if not agreement_ids:
        return {}
    from ledger.invoices.queries import invoiced_by_agreement

    first, last = period_bounds(period)
    year_start = first.replace(month=1, day=1)
    agreements = {a.id: a for a in session.execute(select(Agreement).where(Agreement.id.in_(agreement_ids))).scalars()}
    if not agreements:
        return {}
    ids = list(agreements)
    terms: dict[int, dict] = {}
    for agreement_id, text in session.execute(
            select(AgreementVersionRow.agreement_id, AgreementVersionRow.terms)
            .where(AgreementVersionRow.agreement_id.in_(ids), AgreementVersionRow.effective_from <= last)
            .order_by(AgreementVersionRow.agreement_id, AgreementVersionRow.number)):
        terms[agreement_id] = json.loads(text)  # the last in force wins
    invoiced: dict[int, Decimal] = defaultdict(Decimal, invoiced_by_agreement(session, ids, period))
    accepted = dict(session.execute(
        select(Returnee.agreement_id, func.count())
        .where(Returnee.agreement_id.in_(ids), Returnee.accepted_on >= year_start, Returnee.accepted_on <= last)
        .group_by(Returnee.agreement_id)).all())
    present = dict(session.execute(
        select(Returnee.agreement_id, func.count())
        .where(Returnee.agreement_id.in_(ids), Returnee.accepted_on <= last,
               (Returnee.departed_on.is_(None)) | (Returnee.departed_on > last))
        .group_by(Returnee.agreement_id)).all())
    out = {}
    for agreement_id, agreement in agreements.items():
        in_force = terms.get(agreement_id, {})
        out[agreement_id] = {
            "reference": agreement.reference, "kind": agreement.kind, "payer": agreement.payer_code,
            "payee": agreement.payee_code,
            "invoiced": str(Money.rounded(invoiced[agreement_id], agreement.currency)),
            "quota": {"annual_quota": in_force.get("annual_quota"), "accepted_this_year": accepted.get(agreement_id, 0),
                      "capacity": in_force.get("capacity"), "present": present.get(agreement_id, 0)},
        }
    for agreement_id, section in advance_sections(session, agreements, period).items():
        out[agreement_id]["advance"] = section
    return out


def advance_sections(session: Session, agreements: dict[int, Agreement], period: str) -> dict[int, dict]:
    """Per agreement with an advance booked by `period`'s end: `amount` due by the terms, `paid` (its invoice
    paid), `unpaid`, `offset` against later invoices so far and `outstanding` (paid, not yet offset)."""
    rows = session.execute(
        select(Obligation.agreement_id, Obligation.key, Obligation.amount, Obligation.due_on, Obligation.status)
        .where(Obligation.agreement_id.in_(list(agreements)), Obligation.period <= period,
               (Obligation.kind.in_((rules.ADVANCE, rules.ADVANCE_OFFSET)))
               | Obligation.key.like(f"adjustment:{rules.ADVANCE}:%"))).all()
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    out = {}
    for agreement_id, items in grouped.items():
        currency = agreements[agreement_id].currency
        posted = [rules.ObligationDraft(key, "", None, due_on, Money(Decimal(amount), currency), "")
                  for _, key, amount, due_on, _ in items]
        position = rules.advance_position(posted, [key for _, key, _, _, status in items if status == "paid"],
                                          currency)
        out[agreement_id] = {name: str(getattr(position, name))
                             for name in ("amount", "paid", "unpaid", "offset", "outstanding")}
    return out
