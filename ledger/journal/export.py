"""Export the journal as a beancount file, so an auditor can check the books with an independent tool.

Every entry becomes a transaction; every closed period ends with balance assertions for every account,
computed by this ledger's SQL, which `bean-check` then re-derives from the transactions themselves.
Written as a stream: the journal is never held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.journal import service
from ledger.journal.models import Account, JournalEntry, Period, Posting
from ledger.journal.rules import PURPOSES
from ledger.money import Money


def account_name(account: Account) -> str:
    parts = [PURPOSES[account.purpose], "".join(w.capitalize() for w in account.purpose.split("_"))]
    parts += [code for code in (account.party_code, account.counterparty_code) if code]
    if account.agreement_id is not None:
        parts.append(f"A{account.agreement_id}")
    if account.bank_account:  # a bank account's conversion account holds two currencies: one name each
        parts += [account.bank_account, account.currency]
    return ":".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _period_end(period: str) -> date:
    year, month = int(period[:4]), int(period[5:])
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def beancount_lines(session: Session) -> Iterator[str]:
    yield 'option "title" "Returns Ledger journal"\n'
    names = {a.id: (account_name(a), a) for a in session.execute(select(Account)).scalars()}
    opened = session.execute(
        select(Posting.account_id, func.min(Posting.effective_date)).group_by(Posting.account_id)
    ).all()
    for account_id, first in sorted(opened, key=lambda row: names[row[0]][0]):
        yield f"{first.isoformat()} open {names[account_id][0]} {names[account_id][1].currency}\n"
    yield from _transactions(session, names)
    yield from _assertions(session, names)


def _transactions(session: Session, names: dict) -> Iterator[str]:
    postings_result = session.execute(
        select(Posting).order_by(Posting.entry_id, Posting.line).execution_options(yield_per=5000))
    entries = session.execute(select(JournalEntry).order_by(JournalEntry.id).execution_options(yield_per=2000))
    try:
        postings = iter(postings_result.scalars())
        pending = next(postings, None)
        for entry in entries.scalars():
            yield (f"\n{entry.effective_date.isoformat()} * {_quote(entry.memo or entry.source_type)}\n"
                   f"  entry: {entry.id}\n  source: {_quote(entry.source_type + ':' + entry.source_id)}\n")
            while pending is not None and pending.entry_id == entry.id:
                amount = Money(Decimal(pending.amount), pending.currency)
                yield f"  {names[pending.account_id][0]}  {amount} {amount.currency}\n"
                pending = next(postings, None)
    finally:
        postings_result.close()
        entries.close()


def _assertions(session: Session, names: dict) -> Iterator[str]:
    closed = session.execute(select(Period.period).where(Period.status == "closed").order_by(Period.period))
    for (period,) in closed:
        end = _period_end(period)
        yield f"\n; balances at the close of {period}\n"
        for account, balance in service.balances(session, as_of=end):
            money = Money(balance, account.currency)
            yield f"{(end + timedelta(days=1)).isoformat()} balance {names[account.id][0]}  {money} {money.currency}\n"
