"""Posting to the journal: the one path by which every money event becomes an entry.

`post_entries` takes a batch: it locks the chain head once (which also serialises it against period
closing), checks every entry, resolves accounts, hashes, and writes with bulk inserts (`db.bulk_insert`), at
once or through the caller's `BackgroundWrites`. Nothing here commits: the request or command that called it
does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from functools import cache, partial

from sqlalchemy import Connection, Select, bindparam, event, func, insert, select
from sqlalchemy.orm import Session

from ledger import integrity
from ledger.db import bulk_insert, fetch
from ledger.errors import Conflict
from ledger.journal.models import Account, JournalEntry, Period, Posting
from ledger.journal.rules import (
    AccountKey,
    EntryDraft,
    Fx,
    Line,
    PeriodClosed,
    check_entry,
    entry_content,
    reversal_lines,
)
from ledger.money import Money, MoneyError
from ledger.timeutil import period_of, utcnow
from ledger.writes import Write, write_now

CHAIN = "journal"
#: Entries hashed before their rows are handed to `writes`: a background writer starts on the first ones while
#: the rest are hashed.
_WRITE_CHUNK = 10_000
_ACCOUNT_CACHE = "ledger.account_ids"


@event.listens_for(Session, "after_rollback")
def _forget_accounts(session: Session) -> None:
    """Account ids cached in a transaction that rolled back may not exist: forget them."""
    session.info.pop(_ACCOUNT_CACHE, None)


# ---- periods -----------------------------------------------------------------------------------------

def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def last_closed_period(session: Session) -> str | None:
    return session.execute(select(func.max(Period.period)).where(Period.status == "closed")).scalar()


def first_open_period(session: Session, day: date) -> str:
    """The period a late item lands in: its own month if still open, else the month after the last close."""
    return landing_period(last_closed_period(session), day)


def landing_period(last_closed: str | None, day: date) -> str:
    """`day`'s own month if it is after `last_closed`, else the month after the last close (read `last_closed`
    with the chain head held, `EntryStream.last_closed`, so that a close committing meanwhile is seen)."""
    own = period_of(day)
    return own if last_closed is None or own > last_closed else next_period(last_closed)


def _refuse_closed(periods: set[str], last_closed: str | None) -> None:
    for period in sorted(periods):
        if last_closed is not None and period <= last_closed:
            raise PeriodClosed(
                f"period {period} is closed; book into {next_period(last_closed)} instead",
                extra={"period": period, "next_open_period": next_period(last_closed)},
            )


def _add_periods(db: Session | Connection, periods: set[str]) -> None:
    """Record the (open) periods that entries are about to be booked in, if new."""
    known = set(db.execute(select(Period.period).where(Period.period.in_(periods))).scalars())
    missing = periods - known
    if missing:
        db.execute(insert(Period), [{"period": p, "status": "open"} for p in sorted(missing)])


def close_period(session: Session, period: str) -> Period:
    """Close `period` for ever, recording the journal's chain head at that moment."""
    head = integrity.lock_head(session, CHAIN)
    earlier_open = session.execute(
        select(Period.period).where(Period.period < period, Period.status == "open").order_by(Period.period)
    ).scalars().first()
    if earlier_open:
        raise Conflict(f"close {earlier_open} first: periods close in order", code="earlier_period_open")
    row = session.get(Period, period)
    last_closed = last_closed_period(session)
    if (row is not None and row.status == "closed") or (last_closed is not None and period <= last_closed):
        raise Conflict(f"period {period} is already closed", code="period_already_closed")
    if row is None:
        row = Period(period=period)
        session.add(row)
    row.status, row.closed_at = "closed", utcnow().isoformat()
    row.chain_seq, row.chain_hash = head.seq, head.hash
    session.flush()
    return row


# ---- accounts ----------------------------------------------------------------------------------------

def account_ids(db: Session | Connection, keys: Iterable[AccountKey], cache: dict[str, int]) -> dict[str, int]:
    """Ids of the accounts for `keys`, creating those that do not exist yet; `cache` keeps the ids known."""
    wanted = {key.code: key for key in keys if key.code not in cache}
    if wanted:
        found = db.execute(select(Account.code, Account.id).where(Account.code.in_(wanted))).all()
        cache.update(dict(found))
        missing = [key for code, key in wanted.items() if code not in cache]
        if missing:
            db.execute(insert(Account), [
                {"code": k.code, "purpose": k.purpose, "party_code": k.party, "counterparty_code": k.counterparty,
                 "agreement_id": k.agreement_id, "currency": k.currency, "bank_account": k.bank_account}
                for k in missing
            ])
            created = db.execute(
                select(Account.code, Account.id).where(Account.code.in_([k.code for k in missing]))
            ).all()
            cache.update(dict(created))
    return cache


# ---- posting -----------------------------------------------------------------------------------------

class EntryStream:
    """Entries posted in batches within one transaction: the one path by which entries are written.

    The chain head is locked and read once (which also serialises posting against period closing); each batch
    is checked and hashed here, and its rows go to `writes` together with what they need from the database
    (their periods and accounts, looked up or created there). With a `BackgroundWrites` the database stores
    one batch while the caller prepares the next; `write_now` writes at once. `close()` records the new head.
    """

    def __init__(self, session: Session, writes: Callable[[Write], None]) -> None:
        self._head = integrity.lock_head(session, CHAIN)
        self.last_closed = last_closed_period(session)
        self._created_at = utcnow().isoformat()
        self._write = writes
        self._accounts: dict[str, int] = session.info.setdefault(_ACCOUNT_CACHE, {})

    def post(self, drafts: Sequence[EntryDraft]) -> list[int]:
        """Check, hash and hand over `drafts`; returns their ids (chain sequence numbers) in order."""
        for draft in drafts:
            check_entry(draft)
        periods = [draft.period or period_of(draft.effective_date) for draft in drafts]
        _refuse_closed(set(periods), self.last_closed)
        head, entry_ids = self._head, []
        for start in range(0, len(drafts), _WRITE_CHUNK):
            entries, booked = [], []
            for draft, period in zip(drafts[start:start + _WRITE_CHUNK], periods[start:start + _WRITE_CHUNK]):
                seq = head.seq + 1
                digest = integrity.link_hash(head.hash, entry_content(seq, period, self._created_at, draft))
                entries.append({
                    "id": seq, "effective_date": draft.effective_date, "period": period,
                    "source_type": draft.source_type, "source_id": draft.source_id, "memo": draft.memo,
                    "reverses_id": draft.reverses_id, "created_at": self._created_at, "prev_hash": head.hash,
                    "hash": digest,
                })
                booked.append((seq, draft, period))
                head.seq, head.hash = seq, digest
                entry_ids.append(seq)
            self._write(partial(_insert_entries, entries=entries, booked=booked, accounts=self._accounts))
        return entry_ids

    def close(self) -> None:
        head = integrity.Head(self._head.name, self._head.seq, self._head.hash)  # as it is now, not when written
        self._write(partial(integrity.advance_head, head=head))


def _insert_entries(connection: Connection, entries: list[dict], booked: list[tuple[int, EntryDraft, str]],
                    accounts: dict[str, int]) -> None:
    _add_periods(connection, {period for _, _, period in booked})
    ids = account_ids(connection, (line.account for _, draft, _ in booked for line in draft.lines), accounts)
    bulk_insert(connection, JournalEntry.__table__, entries)
    bulk_insert(connection, Posting.__table__,
                [row for seq, draft, period in booked for row in _posting_rows(seq, draft, period, ids)])


def post_entries(session: Session, drafts: Sequence[EntryDraft],
                 writes: Callable[[Write], None] | None = None) -> list[int]:
    """Post a batch of balanced entries; returns their ids (chain sequence numbers) in order.

    Nothing is written unless every entry balances and falls in an open period. The rows go to `writes`
    (by default at once; see `EntryStream`)."""
    if not drafts:
        return []
    stream = EntryStream(session, writes or write_now(session))
    entry_ids = stream.post(drafts)
    stream.close()
    return entry_ids


def _posting_rows(seq: int, draft: EntryDraft, period: str, ids: dict[str, int]) -> list[dict]:
    rows = []
    for index, line in enumerate(draft.lines):
        fx = line.fx
        rows.append({
            "entry_id": seq, "line": index, "account_id": ids[line.account.code],
            "currency": line.amount.currency, "amount": line.amount.amount,
            "effective_date": draft.effective_date, "period": period,
            "fx_rate": fx.rate if fx else None, "fx_source": fx.source if fx else None,
            "original_amount": fx.original.amount if fx else None,
            "original_currency": fx.original.currency if fx else None,
        })
    return rows


def post_entry(session: Session, draft: EntryDraft) -> int:
    return post_entries(session, [draft])[0]


# ---- reading back ------------------------------------------------------------------------------------

def _key_of(account: Account) -> AccountKey:
    return AccountKey(account.purpose, account.currency, account.party_code, account.counterparty_code,
                      account.agreement_id, account.bank_account)


def lines_of(session: Session, entry_id: int) -> tuple[Line, ...]:
    rows = session.execute(
        select(Posting, Account).join(Account, Account.id == Posting.account_id)
        .where(Posting.entry_id == entry_id).order_by(Posting.line)
    ).all()
    return tuple(_line(posting, account) for posting, account in rows)


def _line(posting: Posting, account: Account) -> Line:
    fx = None
    if posting.fx_rate is not None:
        fx = Fx(Decimal(posting.fx_rate), posting.fx_source or "",
                Money(Decimal(posting.original_amount), posting.original_currency))
    return Line(_key_of(account), Money(Decimal(posting.amount), posting.currency), fx)


def reverse(session: Session, entry_id: int, effective_date: date, memo: str = "",
            source_type: str = "reversal", source_id: str | None = None) -> int:
    """Undo entry `entry_id` with a new entry; a closed period's entry is reversed in the first open one."""
    fetch(session, JournalEntry, entry_id, "journal entry")  # a missing entry is a 404, not an empty reversal
    already = session.execute(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)).scalar()
    if already:
        raise Conflict(f"entry {entry_id} was already reversed by entry {already}", code="already_reversed")
    draft = EntryDraft(
        effective_date=effective_date, lines=reversal_lines(lines_of(session, entry_id)),
        source_type=source_type, source_id=source_id or str(entry_id),
        memo=memo or f"reversal of entry {entry_id}", period=first_open_period(session, effective_date),
        reverses_id=entry_id,
    )
    return post_entry(session, draft)


def _sums(as_of: date | None, period: str | None):
    """The balance per account id (debit positive) as of a date or a period's end, for the database to sum."""
    query = select(Posting.account_id, func.sum(Posting.amount).label("balance")).group_by(Posting.account_id)
    if as_of is not None:
        query = query.where(Posting.effective_date <= as_of)
    if period is not None:
        query = query.where(Posting.period <= period)
    return query


def balances(session: Session, *, as_of: date | None = None, period: str | None = None,
             account_filter=None) -> list[tuple[Account, Decimal]]:
    """Balance per account (debit positive) as of a date or a period's end, summed by the database."""
    sums = _sums(as_of, period).subquery()
    joined = select(Account, sums.c.balance).join(sums, sums.c.account_id == Account.id).order_by(Account.code)
    if account_filter is not None:
        joined = joined.where(account_filter)
    return [(account, Decimal(balance)) for account, balance in session.execute(joined).all()]


def balances_of(session: Session, account_ids: list[int], *, as_of: date | None = None,
                period: str | None = None) -> dict[int, Decimal]:
    """The balances of these accounts (those without postings left out), by account id: the database sums only
    their postings (through the account's index), where `balances` sums every account's and then joins."""
    if not account_ids:
        return {}
    rows = session.execute(_sums_of(as_of is not None, period is not None),
                           {"as_of": as_of, "period": period, "account_ids": account_ids})
    return {account_id: Decimal(balance) for account_id, balance in rows}


@cache
def _sums_of(by_date: bool, by_period: bool) -> Select:
    """`balances_of`'s select, built once for each of its four shapes (a select built anew and its cache key cost
    more CPU than running it): the bounds and the ids go as parameters."""
    return _sums(bindparam("as_of") if by_date else None, bindparam("period") if by_period else None) \
        .where(Posting.account_id.in_(bindparam("account_ids", expanding=True)))


def _stored_content(entry: JournalEntry, rows: list) -> dict:
    """The content an entry hashes to, rebuilt from what is stored now (tampered values included)."""
    try:
        lines = tuple(_line(posting, account) for posting, account in rows)
    except (MoneyError, ValueError):  # a value no posting could have had: certainly altered
        return {"seq": entry.id, "unreadable": [str(posting.amount) for posting, _ in rows]}
    draft = EntryDraft(entry.effective_date, lines, entry.source_type, entry.source_id, entry.memo,
                       entry.period, entry.reverses_id)
    return entry_content(entry.id, entry.period, entry.created_at, draft)


def verify(session: Session) -> integrity.Break | None:
    """Recompute every entry's hash from its stored content and compare the chain with its head."""
    records = _chain_records(session)
    try:
        return integrity.verify_chain(records, integrity.read_head(session, CHAIN))
    finally:
        records.close()  # closes the server-side cursors when verification stops early


def _chain_records(session: Session):
    entries = session.execute(select(JournalEntry).order_by(JournalEntry.id).execution_options(yield_per=2000))
    postings_result = session.execute(
        select(Posting, Account).join(Account, Account.id == Posting.account_id)
        .order_by(Posting.entry_id, Posting.line).execution_options(yield_per=5000)
    )
    try:
        postings = iter(postings_result)
        pending = next(postings, None)
        for (entry,) in entries:
            rows = []
            while pending is not None and pending[0].entry_id == entry.id:
                rows.append(pending)
                pending = next(postings, None)
            yield entry.id, entry.prev_hash, entry.hash, _stored_content(entry, rows)
    finally:
        entries.close()
        postings_result.close()
