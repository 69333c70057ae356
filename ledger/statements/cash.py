"""Money at the bank in the journal: every imported transfer is posted, so a bank account's cash account equals
its statement's closing balance after each import.

A booked transfer moves cash (per bank account and currency) against the bank account's suspense account: money
the ledger cannot explain yet. Reconciliation explains it later (a match moves the amount from suspense to the
invoices, claims or credit notes it settles; a reversed match moves it back), so suspense holds exactly what is
unallocated on the account's transfers. An import posts one entry per bank account, currency and day (credits and
debits on lines of their own), not one per transfer: a million-entry file posts a few hundred entries.

The first statement of a bank account that the journal has never seen brings its opening balance in: cash against
the account's opening balances (equity), dated the statement's first day, so that cash then follows the bank.
A statement that does not follow on from the journal (a gap, a file re-sent with different balances) is flagged
`cash_differs_from_statement`, never silently adjusted.

The rules (`import_entries`, `opening_entry`) are plain functions over plain values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.journal import queries as journal_queries
from ledger.journal import service as journal
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money
from ledger.statements.models import Statement, StatementPart, Transfer
from ledger.timeutil import today
from ledger.writes import write_now

SOURCE_TYPE = "statement_import"
OPENING_SOURCE_TYPE = "statement_opening"
DIFFERS_FLAG = "cash_differs_from_statement"


# ---- a bank account's journal accounts ---------------------------------------------------------------

@lru_cache(maxsize=65536)
def bank_key(purpose: str, currency: str, bank_account: str | None) -> AccountKey:
    """A bank account's account for `purpose` (cash, suspense, currency_exchange, opening_balances) in `currency`:
    keyed by the bank account alone (see `AccountKey`)."""
    return AccountKey(purpose, currency, bank_account=bank_account or None)


def cash(currency: str, bank_account: str | None) -> AccountKey:
    return bank_key("cash", currency, bank_account)


def suspense(currency: str, bank_account: str | None) -> AccountKey:
    return bank_key("suspense", currency, bank_account)


# ---- the rules ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BookedDay:
    """What one import booked on one bank account in one currency on one day."""

    bank_account: str | None
    currency: str
    day: date
    credits: Decimal
    debits: Decimal
    transfers: int


def import_entries(statement_id: int, days: list[BookedDay]) -> list[EntryDraft]:
    """One entry per bank account, currency and day: credits Dr cash / Cr suspense, debits Dr suspense / Cr cash."""
    drafts = []
    for booked in days:
        cur, account = booked.currency, booked.bank_account
        lines = []
        if booked.credits:
            lines += [debit(cash(cur, account), Money(booked.credits, cur)),
                      credit(suspense(cur, account), Money(booked.credits, cur))]
        if booked.debits:
            lines += [debit(suspense(cur, account), Money(booked.debits, cur)),
                      credit(cash(cur, account), Money(booked.debits, cur))]
        if lines:
            drafts.append(EntryDraft(
                effective_date=booked.day, lines=tuple(lines), source_type=SOURCE_TYPE, source_id=str(statement_id),
                memo=f"statement {statement_id}: {booked.transfers} transfers booked on {account or 'no account'} "
                     f"on {booked.day.isoformat()}, not yet explained"))
    return drafts


def opening_entry(statement_id: int, bank_account: str | None, balance: Money, day: date) -> EntryDraft | None:
    """What the bank account held before the first statement the journal sees of it (none when nothing)."""
    if balance.is_zero():
        return None
    lines = (debit(cash(balance.currency, bank_account), balance),
             credit(bank_key("opening_balances", balance.currency, bank_account), balance))
    return EntryDraft(effective_date=day, lines=lines, source_type=OPENING_SOURCE_TYPE, source_id=str(statement_id),
                      memo=f"opening balance of {bank_account or 'no account'} from statement {statement_id}")


# ---- posting an import -------------------------------------------------------------------------------

def post_import(session: Session, record: Statement, parts: list[StatementPart]) -> None:
    """Post what the import `record` booked (its transfers, and the opening balance of bank accounts new to the
    journal); flag the import when a statement's closing balance and the journal's cash then differ."""
    days = _booked_days(session, record.id)
    drafts = _openings(session, record.id, parts, days) + import_entries(record.id, days)
    if drafts:
        # A closed month's bank movement lands in the first open period, dated as booked. The last closed month is
        # read once the journal's chain head is held (`EntryStream`): a close that commits while this import waits
        # for the head is seen, rather than its month booked into and the whole import refused.
        stream = journal.EntryStream(session, write_now(session))
        stream.post([replace(draft, period=journal.landing_period(stream.last_closed, draft.effective_date))
                     for draft in drafts])
        stream.close()
    if _differs(session, parts):
        record.flags = ",".join(sorted({*filter(None, record.flags.split(",")), DIFFERS_FLAG}))
        session.flush()


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _booked_days(session: Session, statement_id: int) -> list[BookedDay]:
    """The import's transfers summed by the database per bank account, currency, day and direction."""
    t = Transfer
    day = func.coalesce(t.booking_date, t.value_date)
    rows = session.execute(
        select(t.account, t.currency, day, t.direction, func.sum(t.amount), func.count())
        .where(t.statement_id == statement_id).group_by(t.account, t.currency, day, t.direction)
    ).all()
    sums: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    fallback = today()  # a transfer without any date: booked when the bank reported it, as far as we know
    for account, currency, booked_on, direction, amount, count in rows:
        booked_on = booked_on if isinstance(booked_on, date) or booked_on is None else date.fromisoformat(booked_on)
        entry = sums[account or None, currency, booked_on or fallback]
        entry[0 if direction == "credit" else 1] += _decimal(amount)
        entry[2] += count
    return [BookedDay(account, currency, day, credits, debits, count)
            for (account, currency, day), (credits, debits, count) in sorted(sums.items(), key=_order)]


def _order(item) -> tuple:
    (account, currency, day), _ = item
    return account or "", currency, day


def _openings(session: Session, statement_id: int, parts: list[StatementPart],
              days: list[BookedDay]) -> list[EntryDraft]:
    """Opening entries for the bank accounts (and currencies) this import shows the journal for the first time."""
    seen = _known_cash(session, {(p.account, p.currency) for p in parts if p.currency})
    first_day = {}
    for booked in days:
        key = (booked.bank_account, booked.currency)
        first_day[key] = min(first_day.get(key, booked.day), booked.day)
    drafts = []
    for part in parts:
        key = (part.account, part.currency)
        if part.currency is None or part.opening_balance is None or key in seen:
            continue
        seen.add(key)
        day = min(filter(None, (part.from_date, first_day.get(key))), default=None) or today()
        draft = opening_entry(statement_id, part.account, Money(_decimal(part.opening_balance), part.currency), day)
        if draft is not None:
            drafts.append(draft)
    return drafts


def _known_cash(session: Session, keys: set[tuple[str | None, str]]) -> set[tuple[str | None, str]]:
    """Which of (bank account, currency) the journal already holds cash for."""
    codes = {cash(currency, account).code: (account, currency) for account, currency in keys}
    if not codes:
        return set()
    return {codes[code] for code in journal_queries.existing_codes(session, list(codes))}


def cash_balance(session: Session, bank_account: str | None, currency: str, as_of: date | None = None) -> Decimal:
    """The journal's cash at the bank account in `currency`, at the end of `as_of` (or now)."""
    total = journal_queries.balance_of(session, cash(currency, bank_account).code, as_of)
    return _decimal(total) if total is not None else Decimal(0)


def _differs(session: Session, parts: list[StatementPart]) -> bool:
    """Does any statement's closing balance differ from the journal's cash at the bank account on its last day?"""
    return any(cash_balance(session, part.account, part.currency, part.to_date) != _decimal(part.closing_balance)
               for part in parts if part.currency is not None and part.closing_balance is not None)
