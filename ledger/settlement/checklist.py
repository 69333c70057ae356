"""What stands before closing a month, shown before the officer confirms, not after.

Two kinds of line. A *refusal* is what `service.close` would refuse (the month has not ended, it is closed already,
an earlier month is still open): the page says so first and offers no button that would fail. A *check* is what
a close allows but an officer should see first, because closing freezes it into the signed statement:
  - transfers booked up to the month's end that no match explains yet (the statement's own open item);
  - proposed matches waiting for a decision (the statement's own open item);
  - invoices of the month, or earlier, disputed and waiting for the partner;
  - EU cost claims whose decision or payment was overdue on the month's last day.

Earlier open months are a refusal that can be resolved in the same step: `close_in_order` closes them, oldest
first, then the month itself, in one transaction (one refusal anywhere undoes them all).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from ledger.agreements.rules.obligations import period_bounds
from ledger.journal import queries as journal
from ledger.timeutil import period_of, today


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    count: int
    endpoint: str  # the page where it is dealt with
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Checklist:
    period: str
    status: str
    refusals: list[str]
    earlier_open: list[str]
    checks: list[Check]

    @property
    def can_close(self) -> bool:
        return not self.refusals

    @property
    def can_close_in_order(self) -> bool:
        """Only earlier open months stand in the way: they can be closed first, in the same step."""
        return bool(self.earlier_open) and self.refusals == [self.earlier_refusal]

    @property
    def earlier_refusal(self) -> str:
        months = ", ".join(self.earlier_open)
        return f"Earlier months are still open ({months}): months close in order, oldest first."

    @property
    def outstanding(self) -> int:
        return sum(check.count for check in self.checks)


def earlier_open_periods(session: Session, period: str) -> list[str]:
    return journal.open_periods_before(session, period)


def checklist(session: Session, period: str, statement: dict | None = None,
              closed_by: str | None = None) -> Checklist:
    """The checklist of `period` (`statement`: its live settlement statement, when the caller built it already;
    `closed_by`: who closed it and when, as the page says it)."""
    from ledger.settlement import service

    status = service.period_status(session, period)
    earlier = earlier_open_periods(session, period) if status == "open" else []
    refusals = []
    if status == "closed":
        refusals.append(f"{period} is closed already" + (f": closed by {closed_by}." if closed_by else "."))
    elif period >= period_of(today()):
        refusals.append(f"{period} has not ended yet: a month closes once it is over.")
    checks: list[Check] = []
    if status == "open":
        statement = statement if statement is not None else service.build(session, period)
        checks = _checks(session, period, statement.get("open_items") or {})
    result = Checklist(period, status, refusals, earlier, checks)
    if earlier:
        refusals.append(result.earlier_refusal)
    return result


def _checks(session: Session, period: str, items: dict) -> list[Check]:
    from ledger.invoices.queries import disputed_up_to
    from ledger.recognition.service import overdue_items

    _, last = period_bounds(period)
    disputed = disputed_up_to(session, period)
    overdue = {item.claim_id for item in overdue_items(session, last)}
    return [
        Check("unreconciled_transfers", f"Transfers booked up to {last.isoformat()} that no match explains yet",
              len(items.get("unreconciled_transfers", [])), "web_reconciliation.index"),
        Check("proposed_matches", "Proposed matches waiting to be confirmed or rejected",
              len(items.get("proposed_matches", [])), "web_reconciliation.index"),
        Check("disputed_invoices", "Invoices disputed and waiting for the partner", disputed,
              "web_invoices.index", {"status": "disputed"}),
        Check("overdue_claims", f"EU claims with a decision or payment overdue on {last.isoformat()}", len(overdue),
              "web_claims.index", {"overdue": "yes"}),
    ]


def close_in_order(session: Session, period: str, key: Ed25519PrivateKey) -> list[str]:
    """Close every earlier open month, oldest first, then `period`; the months closed, in order."""
    from ledger.settlement import service

    months = [*earlier_open_periods(session, period), period]
    for month in months:
        service.close(session, month, key)
    return months
