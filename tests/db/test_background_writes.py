"""`BackgroundWrites`: a transaction's bulk writes in order on its connection (a worker thread on PostgreSQL)."""

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from ledger.db import BackgroundWrites, bulk_insert, is_postgres
from ledger.parties.models import Party


def _party(code: str) -> dict:
    return {"code": code, "name": f"State {code}", "contact_point": "", "version": 1,
            "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc)}


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
    worker = seen_threads[0] is not threading.current_thread()
    assert worker == is_postgres(session)  # PostgreSQL: a worker thread; SQLite: the caller itself


def test_a_failed_write_is_raised_by_wait_and_later_writes_are_skipped(session):
    writes = BackgroundWrites(session)
    writes(lambda c: bulk_insert(c, Party.__table__, [_party("Q2")]))
    if not is_postgres(session):
        # inline on SQLite: the failure surfaces at once, in the caller
        with pytest.raises(ZeroDivisionError):
            writes(lambda c: 1 / 0)
        return
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
    if is_postgres(session):
        assert _codes(session) == []  # the queued insert was skipped
    session.execute(select(1))  # and the session works again
