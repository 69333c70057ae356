"""A statement import that waits for a month close of its own movements' month books them into the first open
month, as it would after the close, instead of failing whole (found by `bench.load --busy` on PostgreSQL)."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import select, text

from bench.statements_gen import write_statement
from ledger.journal import service as journal
from ledger.journal.models import JournalEntry
from ledger.statements import service
from ledger.statements.cash import SOURCE_TYPE


def _lock_waiters(app) -> int:
    with app.extensions["ledger.db"].engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                 "AND datname = current_database()")).scalar()


def test_an_import_waiting_for_the_close_of_its_month_books_into_the_next_open_one(committed_app, tmp_path):
    if committed_app.extensions["ledger.db"].dialect != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer at a time by design)")
    path = tmp_path / "january.xml"
    write_statement(path, 20, start=date(2026, 1, 5))
    outcome = {}

    def import_it():
        with committed_app.app_context():
            s = committed_app.extensions["ledger.db"].new_session()
            try:
                with open(path, "rb") as stream:
                    outcome["statement"] = service.import_statement(s, stream, actor="test").id
                s.commit()
            except Exception as error:  # noqa: BLE001 - the test reports it
                outcome["error"] = error
                s.rollback()
            s.close()

    with committed_app.app_context():
        closer = committed_app.extensions["ledger.db"].new_session()
        journal.close_period(closer, "2026-01")  # holds the journal's chain head until it commits
        importer = threading.Thread(target=import_it)
        importer.start()
        deadline = time.monotonic() + 60
        while _lock_waiters(committed_app) == 0 and importer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert importer.is_alive(), outcome  # it waits for the head...
        closer.commit()  # ...which the close lets go of with January closed
        closer.close()
        importer.join(60)
        assert "error" not in outcome, outcome
        s = committed_app.extensions["ledger.db"].new_session()
        periods = set(s.execute(select(JournalEntry.period).where(JournalEntry.source_type == SOURCE_TYPE)).scalars())
        s.close()
    assert periods == {"2026-02"}
