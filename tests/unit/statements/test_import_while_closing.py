"""A statement import that waits for a month close of its own movements' month books them into the first open
month, as it would after the close, instead of failing whole (found by `bench.load --busy` on PostgreSQL)."""

from datetime import date

import pytest
from sqlalchemy import select

from bench.statements_gen import write_statement
from ledger.journal.models import JournalEntry
from ledger.statements import service
from ledger.statements.cash import SOURCE_TYPE
from tests.closing import while_closing


def test_an_import_waiting_for_the_close_of_its_month_books_into_the_next_open_one(committed_app, tmp_path):
    if committed_app.extensions["ledger.db"].dialect != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer at a time by design)")
    path = tmp_path / "january.xml"
    write_statement(path, 20, start=date(2026, 1, 5))

    def import_it(s):
        with open(path, "rb") as stream:
            return service.import_statement(s, stream, actor="test").id

    outcome = while_closing(committed_app, "2026-01", import_it)
    assert "error" not in outcome, outcome
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        periods = set(s.execute(select(JournalEntry.period).where(JournalEntry.source_type == SOURCE_TYPE)).scalars())
        s.close()
    assert periods == {"2026-02"}
