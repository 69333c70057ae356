"""`BackgroundWrites`: a transaction's bulk writes, in order, on its connection, from a worker thread."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from ledger.db import bulk_insert
from ledger.parties.models import Party
from ledger.writes import BackgroundWrites


def _party(code: str) -> dict:
    return {"code": code, "name": f"State {code}", "contact_point": "", "version": 1,
            "created_at": datetime(2026, 1, 1, tzinfo=UTC)}


def _codes(session) -> list[str]:
    return list(session.execute(select(Party.code).where(Party.code.in_(["Q1", "Q2", "Q3"]))
                                .order_by(Party.code)).scalars())


def test_writes_run_in_order_in_the_callers_transaction(session):
    seen_threads = []
    with BackgroundWrites(session) as writes:
        writes(lambda c: bulk_insert(c, Party.__table__, [_party("Q1")]))
        # a later write sees what an earlier one wrote: same connection, same transaction, in order
        writes(lambda c: c.execute(text("UPDATE parties SET name = 'renamed' WHERE code = 'Q1'")))
        writes(lambda c: seen_threads.append(threading.current_thread()))
    assert session.execute(select(Party.name).where(Party.code == "Q1")).scalar_one() == "renamed"
    assert seen_threads[0] is not threading.current_thread()


def test_a_failed_write_is_raised_by_wait_and_later_writes_are_skipped(session):
    writes = BackgroundWrites(session)
    writes(lambda c: bulk_insert(c, Party.__table__, [_party("Q2")]))
    writes(lambda c: 1 / 0)
    writes(lambda c: bulk_insert(c, Party.__table__, [_party("Q3")]))
    with pytest.raises(ZeroDivisionError):
        writes.wait()
    assert _codes(session) == ["Q2"]  # Q3 never written; the connection is the caller's again


def test_a_callers_failure_cancels_what_is_queued_and_frees_the_connection(session):
    release = threading.Event()
    with pytest.raises(RuntimeError, match="caller failed"), BackgroundWrites(session) as writes:
        writes(lambda c: release.wait(5))
        writes(lambda c: bulk_insert(c, Party.__table__, [_party("Q3")]))
        release.set()
        raise RuntimeError("caller failed")
    assert _codes(session) == []  # the queued insert was skipped
    session.execute(select(1))  # and the session works again


def test_a_bounded_writer_hands_over_a_write_only_once_the_oldest_pending_is_done(session):
    done = []
    with BackgroundWrites(session, max_pending=2) as writes:
        for n in range(3):
            writes(lambda c, n=n: done.append(n))
        assert done[:1] == [0]  # the third waited for the first
    assert done == [0, 1, 2]


def test_a_bounded_writer_raises_a_failed_write_when_the_next_is_handed_over(session):
    handed_over = []
    with pytest.raises(ZeroDivisionError), BackgroundWrites(session, max_pending=1) as writes:
        writes(lambda c: 1 / 0)
        writes(lambda c: bulk_insert(c, Party.__table__, [_party("Q3")]))
        handed_over.append("Q3")
    assert handed_over == []  # raised by the call, not when the block ended
    assert _codes(session) == []
    session.execute(select(1))  # the connection is the caller's again


def test_bulk_insert_keeps_every_value_exact(session):
    """Amounts, dates, NULLs and text survive the bulk path (COPY on PostgreSQL, one JSON batch on SQLite)."""
    from datetime import date
    from decimal import Decimal

    from ledger.journal.models import Account, JournalEntry, Posting

    bulk_insert(session, Party.__table__, [_party("Q1")])
    session.add(Account(code="test:GBP:Q1", purpose="cash", party_code="Q1", currency="GBP"))
    session.flush()
    account = session.execute(select(Account.id).where(Account.code == "test:GBP:Q1")).scalar_one()
    entry = 10**9
    bulk_insert(session, JournalEntry.__table__, [{
        "id": entry, "effective_date": date(2026, 2, 28), "period": "2026-02", "source_type": "test",
        "source_id": "1", "memo": "naïve “quotes” \\ and \"json\"", "reverses_id": None,
        "created_at": "2026-02-28T00:00:00+00:00", "prev_hash": "0" * 64, "hash": "1" * 64}])
    amounts = [Decimal("-99999999999999.9999"), Decimal("0.0001"), Decimal("12.5")]
    bulk_insert(session, Posting.__table__, [{
        "entry_id": entry, "line": i, "account_id": account, "currency": "GBP", "amount": amount,
        "effective_date": date(2026, 2, 28), "period": "2026-02", "fx_rate": Decimal("1.23456789") if i else None,
        "fx_source": None, "original_amount": None, "original_currency": None} for i, amount in enumerate(amounts)])
    stored = session.execute(select(Posting.amount, Posting.fx_rate, Posting.effective_date)
                             .where(Posting.entry_id == entry).order_by(Posting.line)).all()
    assert [row.amount for row in stored] == amounts
    assert [row.fx_rate for row in stored] == [None, Decimal("1.23456789"), Decimal("1.23456789")]
    assert {row.effective_date for row in stored} == {date(2026, 2, 28)}
    memo = session.execute(select(JournalEntry.memo).where(JournalEntry.id == entry)).scalar_one()
    assert memo == "naïve “quotes” \\ and \"json\""
