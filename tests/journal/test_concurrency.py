"""Posting and closing from two connections cannot interleave so that a posting lands in a closed period."""

import threading
import time
from datetime import date

import pytest

from ledger.journal import service
from ledger.journal.models import JournalEntry, Period
from ledger.journal.rules import PeriodClosed
from tests.journal.test_journal import accrual


@pytest.fixture
def books_app(committed_app):
    from tests.conftest import Api, make_party

    api = Api(committed_app, committed_app.test_client())
    admin = api.token("admin")
    for code in ("GB", "AL"):
        make_party(api, admin, code)
    return committed_app


def _session(app):
    return app.extensions["ledger.db"].new_session()


def test_close_waits_for_a_posting_in_flight(books_app):
    if books_app.extensions["ledger.db"].dialect != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer at a time by design)")
    posted, closing_done = threading.Event(), threading.Event()
    outcome = {}

    def post_slowly():
        with books_app.app_context():
            s = _session(books_app)
            service.post_entry(s, accrual("10.00", date(2026, 3, 31)))
            posted.set()
            time.sleep(0.5)  # the close starts while this transaction is still open
            s.commit()
            s.close()

    def close():
        posted.wait()
        with books_app.app_context():
            s = _session(books_app)
            started = time.perf_counter()
            row = service.close_period(s, "2026-03")
            outcome["waited"] = time.perf_counter() - started
            outcome["chain_seq"] = row.chain_seq
            s.commit()
            s.close()
        closing_done.set()

    threads = [threading.Thread(target=post_slowly), threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcome["waited"] >= 0.3  # it queued behind the posting...
    assert outcome["chain_seq"] == 1  # ...and the posting is inside the closed period's chain head


def test_a_posting_after_the_close_is_refused(books_app):
    if books_app.extensions["ledger.db"].dialect != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer at a time by design)")
    with books_app.app_context():
        closer, poster = _session(books_app), _session(books_app)
        service.post_entry(closer, accrual("1.00", date(2026, 3, 1)))
        closer.commit()
        service.close_period(closer, "2026-03")
        result = {}

        def post():
            try:
                service.post_entry(poster, accrual("5.00", date(2026, 3, 30)))
                poster.commit()
                result["posted"] = True
            except PeriodClosed:
                poster.rollback()
                result["refused"] = True

        thread = threading.Thread(target=post)
        thread.start()
        time.sleep(0.3)  # the poster is now waiting for the closer's lock
        closer.commit()
        thread.join()
        assert result == {"refused": True}
        count = closer.query(JournalEntry).filter(JournalEntry.period == "2026-03").count()
        assert count == 1 and closer.get(Period, "2026-03").status == "closed"
        closer.close()
        poster.close()
