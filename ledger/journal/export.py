"""Export the journal as a beancount file, so an auditor can check the books with an independent tool.

The file, in order:

- `option "title" "Returns Ledger journal"`;
- one `open` directive per account name, declaring every currency booked on it: the ledger keys accounts by
  currency too, and the accounts of one purpose, party pair and agreement in two currencies share a name
  (e.g. `Assets:ClaimsReceivable:FR:DE EUR,SEK`); beancount keeps one position per currency;
- every journal entry as a transaction, in chain order, with metadata `entry` (its place in the hash chain)
  and `source`. A transaction is dated on the day it counts in the books: its effective date, or, for a late
  item booked into a later open period (a back-dated acceptance after its month closed), the first day of
  the period it was booked into, its own date kept as metadata `effective`;
- for every closed period, `; balances at the close of YYYY-MM` and a `balance` assertion per account name
  and currency on the day after the period's last day: the sum of everything booked into that period and
  earlier, the sums the period's signed settlement statement shows (`ledger/settlement/service.py` sums by
  booking period too). `bean-check` re-derives each one from the transactions;
- the last line of a complete export: `; end of the journal: N entries`.

An export that fails part-way (after the first line went out) ends with a line starting `EXPORT FAILED`,
which is not beancount, so `bean-check` and any importer refuse the file; then the error propagates: over
HTTP the server breaks the response off (no final chunk), so the client sees a failed transfer, never a
clean 200 with a shortened file.

Everything is read in one read-only transaction (`db.Database.read_session`): a consistent snapshot that
never holds SQLite's write lock, closed when the output ends, fails or is abandoned. Written as a stream:
the journal is never held in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.journal import service
from ledger.journal.models import Account, JournalEntry, Period, Posting
from ledger.journal.rules import PURPOSES
from ledger.money import Money
from ledger.timeutil import period_of

log = structlog.get_logger("ledger.journal.export")

#: How a failed export's last line starts: not beancount syntax, so the file is refused.
FAILED = "EXPORT FAILED"


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


def _period_start(period: str) -> date:
    return date(int(period[:4]), int(period[5:]), 1)


def _period_end(period: str) -> date:
    return _period_start(service.next_period(period)) - timedelta(days=1)


def booked_date(effective: date, period: str) -> date:
    """The day an entry counts in the books: its effective date when it was booked into that date's month,
    else the first day of the period it was booked into (a late item), so that the balances beancount derives
    by date are the balances by booking period."""
    return effective if period_of(effective) == period else _period_start(period)


class Stream:
    """The export of `session`'s snapshot as an iterable of text chunks, for a response or a file.

    Built eagerly up to its first line: a database that cannot be read raises here, while the caller can
    still answer with an error. `close()` (which a WSGI server calls on the response, also when the client
    goes away) closes the session; reading to the end or to a failure closes it too."""

    def __init__(self, session: Session):
        self._session = session
        lines = beancount_lines(session)
        try:
            first = next(lines)
        except BaseException:
            session.close()
            raise
        self._chunks = _guarded(first, lines, session)

    def __iter__(self) -> Iterator[str]:
        return self._chunks

    def close(self) -> None:
        self._chunks.close()
        self._session.close()


def _guarded(first: str, lines: Iterator[str], session: Session) -> Iterator[str]:
    try:
        yield first
        yield from lines
    except Exception as error:
        log.error("journal_export_failed", error_type=type(error).__name__)
        yield f"\n{FAILED}: the export stopped part-way ({type(error).__name__}); this file is incomplete\n"
        raise
    finally:
        lines.close()
        session.close()


def beancount_lines(session: Session) -> Iterator[str]:
    """The file line by line; the accounts are read before the first line."""
    names = {a.id: account_name(a) for a in session.execute(select(Account)).scalars()}
    opens = _opens(session, names)
    yield 'option "title" "Returns Ledger journal"\n'
    for name in sorted(opens):
        opened, currencies = opens[name]
        yield f"{opened.isoformat()} open {name} {','.join(sorted(currencies))}\n"
    count = yield from _transactions(session, names)
    yield from _assertions(session, names)
    yield f"\n; end of the journal: {count} entries\n"


def _opens(session: Session, names: dict[int, str]) -> dict[str, tuple[date, set[str]]]:
    """Per account name: the day it opens (no later than its first transaction) and its currencies."""
    first_use = session.execute(
        select(Posting.account_id, Posting.currency, func.min(Posting.effective_date), func.min(Posting.period))
        .group_by(Posting.account_id, Posting.currency)
    ).all()
    opens: dict[str, tuple[date, set[str]]] = {}
    for account_id, currency, first_day, first_period in first_use:
        name = names[account_id]
        # an entry's transaction date is its effective date or the first day of its (later or earlier) period
        opened = min(first_day, _period_start(first_period))
        known = opens.get(name)
        opens[name] = (min(opened, known[0]), known[1] | {currency}) if known else (opened, {currency})
    return opens


def _transactions(session: Session, names: dict) -> Iterator[str]:
    """Every entry as a transaction; returns how many."""
    postings_result = session.execute(
        select(Posting).order_by(Posting.entry_id, Posting.line).execution_options(yield_per=5000))
    entries = session.execute(select(JournalEntry).order_by(JournalEntry.id).execution_options(yield_per=2000))
    count = 0
    try:
        postings = iter(postings_result.scalars())
        pending = next(postings, None)
        for entry in entries.scalars():
            day = booked_date(entry.effective_date, entry.period)
            late = f"  effective: {entry.effective_date.isoformat()}\n" if day != entry.effective_date else ""
            yield (f"\n{day.isoformat()} * {_quote(entry.memo or entry.source_type)}\n"
                   f"  entry: {entry.id}\n  source: {_quote(entry.source_type + ':' + entry.source_id)}\n{late}")
            while pending is not None and pending.entry_id == entry.id:
                amount = Money(Decimal(pending.amount), pending.currency)
                yield f"  {names[pending.account_id]}  {amount} {amount.currency}\n"
                pending = next(postings, None)
            count += 1
    finally:
        postings_result.close()
        entries.close()
    return count


def _assertions(session: Session, names: dict) -> Iterator[str]:
    """At each closed period's end, per account name and currency, the balance of what was booked up to it."""
    closed = session.execute(
        select(Period.period).where(Period.status == "closed").order_by(Period.period)).scalars().all()
    for period in closed:
        day_after = _period_end(period) + timedelta(days=1)
        sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for account, balance in service.balances(session, period=period):
            sums[names[account.id], account.currency] += balance
        yield f"\n; balances at the close of {period}\n"
        for (name, currency), balance in sorted(sums.items()):
            money = Money(balance, currency)
            yield f"{day_after.isoformat()} balance {name}  {money} {currency}\n"
