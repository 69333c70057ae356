"""What the pages and other features may read of the EU cost claims' table (recognition's door for reads)."""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from ledger.listing import Listing
from ledger.recognition.models import CostClaim
from ledger.recognition.service import overdue_on
from ledger.timeutil import today

STAGES = ("submitted", "accepted", "refused", "disputed", "paid")


def _overdue(query: Select, value: str) -> Select:
    """Past a decision or payment deadline today ("yes"), or not ("no")."""
    condition = overdue_on(today())
    return query.where(condition if value == "yes" else ~condition)


def _either_state(query: Select, code: str) -> Select:
    return query.where(or_(CostClaim.issuing_state == code.upper(), CostClaim.enforcing_state == code.upper()))


LISTING = Listing(
    query=lambda: select(CostClaim),
    orders={"id": CostClaim.id, "issuing_state": CostClaim.issuing_state, "submitted_on": CostClaim.submitted_on,
            "payable": CostClaim.payable, "decision_due_on": CostClaim.decision_due_on,
            "payment_due_on": CostClaim.payment_due_on, "stage": CostClaim.status},
    tiebreak=CostClaim.id,
    filters={"overdue": _overdue, "stage": lambda q, v: q.where(CostClaim.status == v), "state": _either_state},
)


def creditor_states() -> Select:
    """The enforcing member state of every accepted (or paid) claim: a state the ledger pays (a subquery's select)."""
    return select(CostClaim.enforcing_state).where(CostClaim.status.in_(("accepted", "paid")))
