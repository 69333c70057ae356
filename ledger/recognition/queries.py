"""What the pages and other features may read of the EU cost claims' table (recognition's door for reads)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ledger.listing import Listing, either_party
from ledger.recognition.models import CostClaim
from ledger.recognition.service import overdue_on
from ledger.timeutil import today

STAGES = ("submitted", "accepted", "refused", "disputed", "in_transit", "paid")


def _overdue(query: Select, value: str) -> Select:
    """Past a decision or payment deadline today ("yes"), or not ("no")."""
    condition = overdue_on(today())
    return query.where(condition if value == "yes" else ~condition)


LISTING = Listing(
    query=lambda: select(CostClaim),
    orders={"id": CostClaim.id, "issuing_state": CostClaim.issuing_state, "submitted_on": CostClaim.submitted_on,
            "payable": CostClaim.payable, "decision_due_on": CostClaim.decision_due_on,
            "payment_due_on": CostClaim.payment_due_on, "stage": CostClaim.status},
    tiebreak=CostClaim.id,
    filters={"overdue": _overdue, "stage": lambda q, v: q.where(CostClaim.status == v),
             "state": either_party(CostClaim.issuing_state, CostClaim.enforcing_state)},
)


def creditor_states() -> Select:
    """The enforcing member state of every accepted (in transit or paid) claim: a state the ledger pays (a subquery's
    select)."""
    return select(CostClaim.enforcing_state).where(CostClaim.status.in_(("accepted", "in_transit", "paid")))


def accepted_to_match(session: Session, enforcing_state: str, currency: str, *, issuing_states: list[str] | None = None,
                      claim_id: int | None = None, amount: Decimal | None = None, tolerance: Decimal = Decimal(0),
                      submitted_from: date | None = None, submitted_to: date | None = None,
                      first_issuing: str = "", limit: int = 50) -> list[CostClaim]:
    """An officer's search for the claims a credit pays (each whole): the accepted claims `enforcing_state` owes in
    `currency`; of `issuing_states`, when given; claim `claim_id`, when given; payable `amount` ± `tolerance`;
    submitted from/to. Those of `first_issuing` come first, then by payment due date."""
    query = select(CostClaim).where(CostClaim.status == "accepted", CostClaim.payable > 0,
                                    CostClaim.currency == currency, CostClaim.enforcing_state == enforcing_state)
    if issuing_states is not None:
        query = query.where(CostClaim.issuing_state.in_(issuing_states))
    if claim_id is not None:
        query = query.where(CostClaim.id == claim_id)
    if amount is not None:
        query = query.where(CostClaim.payable.between(amount - tolerance, amount + tolerance))
    if submitted_from:
        query = query.where(CostClaim.submitted_on >= submitted_from)
    if submitted_to:
        query = query.where(CostClaim.submitted_on <= submitted_to)
    query = query.order_by((CostClaim.issuing_state != first_issuing), CostClaim.payment_due_on, CostClaim.id)
    return list(session.execute(query.limit(limit)).scalars())


def claims_by_ids(session: Session, ids: list[int]) -> list[CostClaim]:
    return list(session.execute(select(CostClaim).where(CostClaim.id.in_(ids))).scalars())


def payable_by(session: Session, issuing_state: str, currency: str, due_by: date) -> list[CostClaim]:
    """Accepted claims with something payable that `issuing_state` owes in `currency` by `due_by`, the earliest
    due first (what a payment batch may pay)."""
    return list(session.execute(
        select(CostClaim).where(CostClaim.issuing_state == issuing_state, CostClaim.currency == currency,
                                CostClaim.status == "accepted", CostClaim.payable > 0,
                                CostClaim.payment_due_on.is_not(None), CostClaim.payment_due_on <= due_by)
        .order_by(CostClaim.payment_due_on, CostClaim.id)).scalars())


def claim(session: Session, claim_id: int) -> CostClaim | None:
    return session.get(CostClaim, claim_id)
