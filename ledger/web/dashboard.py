"""The dashboard is a list of panels; each feature adds its own.

A panel is `(session, principal) -> Panel | None` (None: nothing to show to this person). Its template
is included inside a <section> with the panel's heading. The two placeholders below stand where the
per-agreement figures and this month's open items go once agreements, invoices and reconciliation are
merged: replace them in PANELS, keep the order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.auth import Principal
from ledger.journal.models import Account, JournalEntry, Period, Posting
from ledger.money import Money
from ledger.parties.models import Party


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    placeholder: bool = False


def agreements_placeholder(session: Session, principal: Principal) -> Panel:
    # INTEGRATOR: replace with the agreements panel (per agreement: accrued, invoiced, paid, outstanding).
    return Panel("Agreements: accrued, invoiced, paid, outstanding", "dashboard/placeholder.html",
                 {"feature": "agreements, invoices and reconciliation"}, placeholder=True)


def open_items_placeholder(session: Session, principal: Principal) -> Panel:
    # INTEGRATOR: replace with this month's open items (invoices to approve, transfers to match, claims due).
    return Panel("This month's open items", "dashboard/placeholder.html",
                 {"feature": "invoices, reconciliation and EU claims"}, placeholder=True)


def balances_by_purpose(session: Session, principal: Principal) -> Panel:
    total = func.coalesce(func.sum(Posting.amount), 0)
    rows = session.execute(
        select(Account.purpose, Account.currency, total.label("balance"), func.count(func.distinct(Account.id)))
        .select_from(Account).join(Posting, Posting.account_id == Account.id)
        .group_by(Account.purpose, Account.currency).order_by(Account.purpose, Account.currency)
    ).all()
    lines = [{"purpose": p, "currency": c, "balance": Money(Decimal(b), c), "accounts": n} for p, c, b, n in rows]
    return Panel("Balances by purpose", "dashboard/balances.html", {"lines": lines})


def journal_summary(session: Session, principal: Principal) -> Panel:
    count, latest = session.execute(select(func.count(JournalEntry.id), func.max(JournalEntry.effective_date))).one()
    periods = session.execute(select(Period.period, Period.status).order_by(Period.period.desc()).limit(6)).all()
    parties = session.execute(select(func.count()).select_from(Party)).scalar_one()
    return Panel("Ledger at a glance", "dashboard/summary.html",
                 {"entries": count, "latest": latest, "periods": periods, "parties": parties})


PANELS: list[Callable[[Session, Principal], Panel | None]] = [
    agreements_placeholder,
    open_items_placeholder,
    balances_by_purpose,
    journal_summary,
]


def panels(session: Session, principal: Principal) -> list[Panel]:
    return [panel for make in PANELS if (panel := make(session, principal)) is not None]
