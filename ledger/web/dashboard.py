"""The dashboard is a list of panels; each feature adds its own.

A panel is `(session, principal) -> Panel | None` (None: nothing to show to this person). Its template
is included inside a <section> with the panel's heading. The first two panels show this month's live settlement
statement's figures and open items, read by the functions the statement is built from
(`ledger.settlement.service.agreement_figures`, its open items' providers): the same figures it and its reports show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from ledger.auth import Principal
from ledger.journal import queries as journal
from ledger.money import Money
from ledger.parties import queries as parties
from ledger.timeutil import period_of, today


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    placeholder: bool = False
    wide: bool = False  # spans the whole row (a table with many figures)


def _money(value, currency: str) -> Money:
    return Money(Decimal(value or 0), currency)


def agreements_figures(session: Session, principal: Principal) -> Panel:
    """Per agreement, this month: accrued (with adjustments), invoiced, paid, and what is outstanding."""
    from ledger.settlement import service as settlement

    period = period_of(today())
    rows = []
    for line in settlement.agreement_figures(session, [period]):
        cur = line["currency"]
        rows.append({
            "id": line["agreement_id"], "reference": line.get("reference") or f"agreement {line['agreement_id']}",
            "payer": line.get("payer"), "payee": line.get("payee"),
            "accrued": _money(Decimal(line["accrued"]) + Decimal(line["adjustments"]), cur),
            "invoiced": _money(line.get("invoiced"), cur), "paid": _money(line["paid"], cur),
            "outstanding": _money(line["closing"], cur),
        })
    return Panel(f"Agreements in {period}: accrued, invoiced, paid, outstanding",
                 "dashboard/agreements.html", {"rows": rows, "period": period}, wide=True)


def open_items(session: Session, principal: Principal) -> Panel:
    """This month's open items: invoices to decide, matches to review, transfers unmatched, invoices
    overdue, EU claims past a deadline; each with a link to where it is dealt with."""
    from ledger.invoices import queries as invoices
    from ledger.invoices.service import OPEN_STATUSES
    from ledger.recognition.service import overdue_items
    from ledger.reconciliation import queries as reconciliation
    from ledger.reconciliation.service import proposed_open_items
    from ledger.settlement.service import disputed_open_items

    # The statement's own open items, those this panel counts: not the whole statement, whose list of every
    # unmatched transfer (counted here by `unmatched_count`) took half a minute at a million of them.
    period = period_of(today())
    items = {kind: found for provider in (proposed_open_items, invoices.overdue_open_items, disputed_open_items)
             for kind, found in provider(session, period, None, None).items()}
    counts = invoices.count_by_status(session, OPEN_STATUSES)
    claims_overdue = {item.claim_id for item in overdue_items(session, today())}
    lines = [
        ("Invoices waiting for a decision", counts.get("accepted", 0), "web_invoices.index", {"status": "accepted"}),
        ("Invoices disputed, waiting for the partner", counts.get("disputed", 0), "web_invoices.index",
         {"status": "disputed"}),
        ("Proposed matches to confirm or reject", len(items.get("proposed_matches", [])),
         "web_reconciliation.index", {}),
        ("Unmatched transfers", reconciliation.unmatched_count(session), "web_reconciliation.index", {}),
        ("Approved invoices past their due date", len(items.get("overdue_invoices", [])), "web_invoices.index",
         {"overdue": "yes"}),
        ("Disputed statement lines carried forward", len(items.get("disputed_lines", [])), "web_settlement.index", {}),
        ("EU claims past a decision or payment deadline", len(claims_overdue), "web_claims.index",
         {"overdue": "yes"}),
    ]
    return Panel(f"Open items in {period}", "dashboard/open_items.html",
                 {"lines": [{"label": label, "count": count, "endpoint": endpoint, "args": args}
                            for label, count, endpoint, args in lines],
                  "unmatched_definition": reconciliation.UNMATCHED_DEFINITION})


def balances_by_purpose(session: Session, principal: Principal) -> Panel:
    lines = [{"purpose": p, "currency": c, "balance": Money(Decimal(b), c), "accounts": n}
             for p, c, b, n in journal.balances_by_purpose(session)]
    return Panel("Balances by purpose", "dashboard/balances.html", {"lines": lines})


def journal_summary(session: Session, principal: Principal) -> Panel:
    count, latest = journal.entries_at_a_glance(session)
    return Panel("Ledger at a glance", "dashboard/summary.html",
                 {"entries": count, "latest": latest, "periods": journal.latest_periods(session, 6),
                  "parties": parties.count(session)})


def partner_cards(session: Session, principal: Principal) -> Panel | None:
    from ledger.web.partners import partner_cards as cards

    return cards(session, principal)


PANELS: list[Callable[[Session, Principal], Panel | None]] = [
    partner_cards,
    agreements_figures,
    open_items,
    balances_by_purpose,
    journal_summary,
]


def panels(session: Session, principal: Principal) -> list[Panel]:
    return [panel for make in PANELS if (panel := make(session, principal)) is not None]
