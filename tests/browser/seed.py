"""Journal entries for the browser tests to page through (source type "obligation", which the demo's own
accruals do not use). They name no agreement, so the demo's agreements and their statements stay as the
demo made them.

Run as `python -m tests.browser.seed` with LEDGER_DATABASE_URL set, after `ledger demo`.
"""

from __future__ import annotations

from datetime import date

from ledger import create_app
from ledger.cli import transaction
from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money

HOSTS = (("AL", "GBP", 1), ("RW", "GBP", 2))  # the third value only varies the amounts


def drafts() -> list[EntryDraft]:
    out = []
    for month in range(1, 11):
        for host, currency, agreement in HOSTS:
            money = Money.of(f"{18000 + month * 1250 + agreement * 333}.50", currency)
            out.append(EntryDraft(date(2026, month, 28), (
                debit(AccountKey("returns_costs", currency, "GB", host), money),
                credit(AccountKey("obligations", currency, host, "GB"), money)),
                "obligation", f"{agreement}-{month:02d}", f"accrual {2026}-{month:02d}"))
    return out


def main() -> None:
    app = create_app()
    with app.app_context(), transaction("browser.seed") as session:
        service.post_entries(session, drafts())


if __name__ == "__main__":
    main()
