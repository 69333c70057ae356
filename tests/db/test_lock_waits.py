"""How long a transaction waits for a lock: 1 s for API requests (then 503 `books_busy`), as long as it takes for
the long writers (CLI commands, the API's own long writers, the officers' pages)."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url, text

from ledger import db, sqlite_busy
from ledger.api import waits_long


def _lock_wait(app, short: bool) -> str:
    """The lock wait a new session's transaction runs with, as the database reports it."""
    with app.app_context():
        db.set_lock_role(db.LockRole.SHORT if short else db.LockRole.LONG_WRITER)
        try:
            s = db.database().new_session()
            query = "SHOW lock_timeout" if db.database().dialect == "postgresql" else "PRAGMA busy_timeout"
            value = str(s.execute(text(query)).scalar_one())
            s.close()
            return value
        finally:
            db.set_lock_role(db.LockRole.LONG_WRITER)


def test_api_requests_wait_a_second_long_writers_as_long_as_before(committed_app):
    postgres = committed_app.extensions["ledger.db"].dialect == "postgresql"
    assert _lock_wait(committed_app, short=True) == ("1s" if postgres else "1000")
    assert _lock_wait(committed_app, short=False) == ("0" if postgres else "30000")
    assert _lock_wait(committed_app, short=True) == ("1s" if postgres else "1000")  # switched back on the same pool


def test_outside_a_request_a_transaction_is_a_long_writer():
    assert db.lock_role() is db.LockRole.LONG_WRITER


SHORT, ORDINARY, LONG_WRITER = db.LockRole.SHORT, db.LockRole.ORDINARY, db.LockRole.LONG_WRITER


@pytest.mark.parametrize("method, path, role", [
    ("POST", "/api/v1/parties", SHORT),
    ("GET", "/api/v1/parties", SHORT),
    ("POST", "/api/v1/reconciliation/runs", LONG_WRITER),
    ("POST", "/api/v1/statements", LONG_WRITER),
    ("POST", "/api/v1/settlements/2026-03/close", LONG_WRITER),
    ("POST", "/reconciliation/runs", LONG_WRITER),  # an officer's page: back office, and a long writer
    ("POST", "/approvals/1/approve", ORDINARY),  # an officer's page: back office, its locks held for moments
    ("GET", "/reconciliation", SHORT),
])
def test_which_requests_wait_short_and_which_are_long_writers(app, monkeypatch, method, path, role):
    seen = []
    set_role = db.set_lock_role
    monkeypatch.setattr(db, "set_lock_role", lambda value: (seen.append(value), set_role(value)))
    app.test_client().open(path, method=method, json={})
    assert seen == [role]
    assert db.lock_role() is LONG_WRITER  # reset after the request: a command is a long writer


def test_the_long_writers_are_the_officers_bulk_operations(app):
    """Each is marked at its view (`ledger.api.long_writer`), in the API and in the pages; a new one is a decision,
    seen here."""
    marked = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}
              if waits_long(app, rule.endpoint, method)}
    assert marked == {
        ("POST", "/api/v1/statements"), ("POST", "/api/v1/reconciliation/runs"), ("POST", "/api/v1/interest/runs"),
        ("POST", "/api/v1/settlements/<string:period>/close"), ("POST", "/api/v1/payment-batches"),
        ("POST", "/api/v1/payment-batches/<int:batch_id>/release"),
        ("POST", "/statements"), ("POST", "/reconciliation/runs"), ("POST", "/settlement/<string:period>/close"),
        ("POST", "/payments"), ("POST", "/payments/<int:batch_id>/release"),
    }


@pytest.mark.parametrize("url, marker", [
    ("sqlite:////srv/ledger/ledger.sqlite3", "/srv/ledger/ledger.sqlite3-long-writer.lock"),
    ("sqlite:///ledger.sqlite3", "ledger.sqlite3-long-writer.lock"),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("sqlite:///file:ledger.sqlite3?mode=ro&uri=true", None),
])
def test_the_long_writer_marker_lies_beside_a_database_file_only(url, marker):
    assert sqlite_busy.long_writer_marker(make_url(url)) == marker


def test_a_long_writer_holds_the_marker_and_says_it_has_the_lock_until_its_connection_is_back_in_the_pool(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'marker.sqlite3'}")
    marker = sqlite_busy.long_writer_marker(engine.url)
    probe = engine.connect()
    try:
        assert not sqlite_busy.long_writer_holds_lock(probe.connection.info, marker)
        with engine.connect() as writer:
            writer.begin()  # BEGIN IMMEDIATE: the write lock is the writer's
            assert sqlite_busy.long_writer_at_work(probe.connection.info, marker)
            assert sqlite_busy.long_writer_holds_lock(probe.connection.info, marker)
            writer.rollback()
        assert not sqlite_busy.long_writer_at_work(probe.connection.info, marker)
        assert not sqlite_busy.long_writer_holds_lock(probe.connection.info, marker)
    finally:
        probe.close()
        engine.dispose()


def test_an_ordinary_back_office_write_is_at_work_but_does_not_say_it_holds_the_lock(tmp_path):
    """An officer's page write waits long for the lock but holds it for moments: an API write may wait for it."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'page.sqlite3'}")
    marker = sqlite_busy.long_writer_marker(engine.url)
    probe = engine.connect()
    db.set_lock_role(db.LockRole.ORDINARY)
    try:
        with engine.connect() as writer:
            writer.begin()
            assert sqlite_busy.long_writer_at_work(probe.connection.info, marker)
            assert not sqlite_busy.long_writer_holds_lock(probe.connection.info, marker)
            writer.rollback()
    finally:
        db.set_lock_role(db.LockRole.LONG_WRITER)
        probe.close()
        engine.dispose()


def test_a_long_writer_copies_its_write_ahead_log_into_the_database_before_letting_go(tmp_path, monkeypatch):
    """Not the next committer (a partner's write): the writer waits for the reader whose snapshot holds the copy up.
    Only a checkpoint grows the database file; a reader never makes one, and this log is below SQLite's own
    threshold for one at commit (1,000 frames)."""
    import threading

    monkeypatch.setattr(sqlite_busy, "CHECKPOINT_AFTER_FRAMES", 50)
    path = tmp_path / "wal.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as setup:
            setup.execute(text("CREATE TABLE t (v TEXT)"))
            setup.commit()
        reader = engine.connect().execution_options(**{db.READ_ONLY: True})
        reader.execute(text("SELECT count(*) FROM t")).scalar_one()  # a snapshot from before the write
        before = path.stat().st_size
        with engine.connect() as writer:
            writer.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                                "INSERT INTO t SELECT printf('%0500d', i) FROM n"))
            writer.commit()
            threading.Timer(0.2, reader.rollback).start()  # the reader finishes while the writer waits for it
        assert path.stat().st_size > before + 2000 * 500
        reader.close()
    finally:
        engine.dispose()
