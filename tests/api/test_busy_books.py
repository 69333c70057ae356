"""Busy books: while a long writer holds the books, a partner's write says so (503 `books_busy`, Retry-After) instead
of waiting for it, writes nothing, and succeeds once sent again; reads go on answering meanwhile."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text

from ledger import db, sqlite_busy
from ledger.agreements.models import Returnee
from ledger.idempotency import IdempotencyKey
from tests.api.agreements_helpers import A, create_agreement, people
from tests.api.test_errors import assert_problem
from tests.conftest import Api, make_party


@pytest.fixture
def books(committed_app):
    """RW hosts returnees under a GB–RW agreement on a database with real commits (several connections)."""
    api = Api(committed_app, committed_app.test_client())
    admin = api.token("admin")
    for code in ("GB", "RW"):
        make_party(api, admin, code)
    agreement = create_agreement(api, admin)
    return committed_app, api, api.token("partner", "RW"), agreement["id"]


@contextmanager
def long_writer(app):
    """Another connection holding what a reconciliation run, a camt import or a month close holds until it commits:
    on SQLite the write lock (BEGIN IMMEDIATE), on PostgreSQL the audit chain's head, which every write locks to
    append its audit record. Outside a request its transaction waits long, as a CLI command's does (on SQLite it
    holds the long-writer marker meanwhile, `ledger.sqlite_busy.long_writer_at_work`)."""
    engine = app.extensions["ledger.db"].engine
    with engine.connect() as connection:
        transaction = connection.begin()  # SQLite: BEGIN IMMEDIATE (`ledger.db`)
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT seq FROM chain_heads WHERE name = 'audit' FOR UPDATE"))
        else:
            connection.execute(text("UPDATE chain_heads SET seq = seq WHERE name = 'audit'"))
        try:
            yield
        finally:
            transaction.rollback()


def _count(app, model, *where) -> int:
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        try:
            return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        finally:
            s.close()


def test_a_partner_write_answers_books_busy_and_writes_nothing_while_a_long_writer_holds_the_books(books):
    app, api, partner, agreement = books
    path = f"{A}/{agreement}/returnees/batch"
    body = {"items": people("BUSY", 3, "2026-03-02")}
    with long_writer(app):
        response = api.post(path, json=body, token=partner, headers={"Idempotency-Key": "busy-1"})
        problem = assert_problem(response, 503, "books_busy")
        assert int(response.headers["Retry-After"]) >= 1
        assert "request_id" in problem
    assert _count(app, Returnee, Returnee.agreement_id == agreement) == 0
    assert _count(app, IdempotencyKey, IdempotencyKey.key == "busy-1") == 0  # not remembered: a retry runs anew
    retry = api.post(path, json=body, token=partner, headers={"Idempotency-Key": "busy-1"})
    assert retry.status_code == 200, retry.get_json()
    assert "Idempotent-Replayed" not in retry.headers
    assert _count(app, Returnee, Returnee.agreement_id == agreement) == 3


def test_reads_answer_while_a_long_writer_holds_the_books(books):
    app, api, partner, agreement = books
    with long_writer(app):
        assert api.get(f"{A}/{agreement}/returnees?limit=10", token=partner).status_code == 200
        assert api.get("/api/v1/parties/RW", token=partner).status_code == 200


def test_an_admin_write_also_answers_books_busy(books):
    app, api, _, _ = books
    admin = api.token("admin", name="second admin")
    with long_writer(app):
        assert_problem(api.post("/api/v1/parties", json={"code": "AL", "name": "Albania"}, token=admin),
                       503, "books_busy")
    assert api.get("/api/v1/parties/AL", token=admin).status_code == 404


@pytest.fixture
def lock_waits(monkeypatch) -> list[int]:
    """The busy timeouts SQLite transactions begin with from now on, in order."""
    chosen = []
    choose = db._lock_wait

    def recording(*args, **kwargs):
        chosen.append(choose(*args, **kwargs))
        return chosen[-1]

    monkeypatch.setattr(db, "_lock_wait", recording)
    return chosen


@pytest.fixture
def sqlite_books(books):
    if books[0].extensions["ledger.db"].dialect != "sqlite":
        pytest.skip("the long-writer marker is SQLite's: on PostgreSQL a write waits only for the rows it needs")
    return books


def _send_batch(sqlite_books, lock_waits, label: str, count: int, key: str | None = None):
    """A partner's batch of `count` returnees, the lock waits recorded afresh from here."""
    _, api, partner, agreement = sqlite_books
    lock_waits.clear()
    return api.post(f"{A}/{agreement}/returnees/batch", json={"items": people(label, count, "2026-03-02")},
                    token=partner, headers={"Idempotency-Key": key} if key else {})


def test_on_sqlite_a_partner_write_gives_up_at_once_while_a_long_writer_holds_the_write_lock(sqlite_books, lock_waits):
    app, _, _, agreement = sqlite_books
    with long_writer(app):
        response = _send_batch(sqlite_books, lock_waits, "QUICK", 2, key="quick-1")
        assert_problem(response, 503, "books_busy")
        assert int(response.headers["Retry-After"]) >= 1
    assert lock_waits == [sqlite_busy.HELD_LOCK_WAIT_MS] == [0]  # the lock is the long writer's till it commits
    assert _count(app, Returnee, Returnee.agreement_id == agreement) == 0
    assert _count(app, IdempotencyKey, IdempotencyKey.key == "quick-1") == 0


@contextmanager
def long_writer_between_transactions(app):
    """A long writer of another process that holds the marker while SQLite's lock is free (between two of its
    transactions, or just about to begin one)."""
    marker = sqlite_busy.long_writer_marker(app.extensions["ledger.db"].engine.url)
    with open(marker, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        yield


def test_on_sqlite_a_partner_write_goes_through_while_a_long_writer_holds_no_lock(sqlite_books, lock_waits):
    app, _, _, agreement = sqlite_books
    with long_writer_between_transactions(app):
        response = _send_batch(sqlite_books, lock_waits, "GAP", 2, key="gap-1")
        assert response.status_code == 200, response.get_json()
    assert lock_waits == [sqlite_busy.BUSY_BOOKS_LOCK_WAIT_MS]
    assert _count(app, Returnee, Returnee.agreement_id == agreement) == 2


def _begun(app, role: db.LockRole):
    """A new connection whose transaction began in `role` (a command's, LONG_WRITER, again after)."""
    db.set_lock_role(role)
    try:
        connection = app.extensions["ledger.db"].engine.connect()
        return connection, connection.begin()
    finally:
        db.set_lock_role(db.LockRole.LONG_WRITER)


@contextmanager
def short_writer(app):
    """Another API request's transaction holding SQLite's write lock: no long writer at work."""
    connection, transaction = _begun(app, db.LockRole.SHORT)
    try:
        connection.execute(text("UPDATE chain_heads SET seq = seq WHERE name = 'audit'"))
        yield
    finally:
        transaction.rollback()
        connection.close()


def test_on_sqlite_a_partner_write_waits_its_second_for_another_short_writer(sqlite_books, lock_waits):
    with short_writer(sqlite_books[0]):
        assert_problem(_send_batch(sqlite_books, lock_waits, "SHORT", 1), 503, "books_busy")
    assert lock_waits == [db.SHORT_LOCK_WAIT_MS]


@pytest.fixture
def postgres_books(books):
    if books[0].extensions["ledger.db"].dialect != "postgresql":
        pytest.skip("row and advisory locks held by a long writer's transaction: PostgreSQL's (SQLite's is above)")
    return books


@pytest.fixture
def long_writer_probes(monkeypatch) -> list[bool]:
    """What each API write that found a chain head or the reconciliation lock held learnt of its holder, in order."""
    from ledger import integrity

    seen = []
    probe = db.held_by_long_writer

    def recording(*args):
        seen.append(probe(*args))
        return seen[-1]

    monkeypatch.setattr(integrity, "held_by_long_writer", recording)
    monkeypatch.setattr(db, "held_by_long_writer", recording)
    return seen


@contextmanager
def ordinary_writer(app, statement: str, *, release_after: float):
    """An officer's ordinary page write (waits long, not a long writer) holding what `statement` locks, let go of
    after `release_after` seconds by another thread."""
    import threading

    connection, transaction = _begun(app, db.LockRole.ORDINARY)
    connection.execute(text(statement))
    timer = threading.Timer(release_after, transaction.rollback)
    try:
        timer.start()
        yield
    finally:
        timer.join()
        connection.close()


def test_on_postgresql_a_partner_write_does_not_wait_for_a_long_writers_lock(postgres_books, long_writer_probes):
    app, api, partner, agreement = postgres_books
    with long_writer(app):
        response = api.post(f"{A}/{agreement}/returnees/batch", json={"items": people("HELD", 2, "2026-03-02")},
                            token=partner, headers={"Idempotency-Key": "held-1"})
        assert_problem(response, 503, "books_busy")
        assert int(response.headers["Retry-After"]) >= 1
    assert long_writer_probes == [True]  # refused on finding the audit chain's head a long writer's, not after 1 s
    assert _count(app, Returnee, Returnee.agreement_id == agreement) == 0
    assert _count(app, IdempotencyKey, IdempotencyKey.key == "held-1") == 0


def test_on_postgresql_a_partner_write_waits_for_an_ordinary_writers_lock_and_goes_through(postgres_books,
                                                                                          long_writer_probes):
    app, api, partner, agreement = postgres_books
    with ordinary_writer(app, "SELECT seq FROM chain_heads WHERE name = 'audit' FOR UPDATE", release_after=0.3):
        response = api.post(f"{A}/{agreement}/returnees/batch", json={"items": people("WAIT", 2, "2026-03-02")},
                            token=partner)
    assert response.status_code == 200, response.get_json()
    assert long_writer_probes == [False]
    assert _count(app, Returnee, Returnee.agreement_id == agreement) == 2


def _take_reconciliation_lock(app) -> None:
    """An API request's transaction taking the reconciliation lock (as voiding a statement does)."""
    with app.app_context():
        db.set_lock_role(db.LockRole.SHORT)
        try:
            db.hold_reconciliation_lock(db.session())
        finally:
            db.rollback()
            db.set_lock_role(db.LockRole.LONG_WRITER)


def test_on_postgresql_an_api_write_does_not_wait_for_a_running_reconciliation(postgres_books, long_writer_probes):
    from ledger.errors import BooksBusy

    app = postgres_books[0]
    with app.extensions["ledger.db"].engine.connect() as run:  # a run: a long writer, as a command is
        run.begin()
        run.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": db.RECONCILIATION_LOCK})
        with pytest.raises(BooksBusy):
            _take_reconciliation_lock(app)
        run.rollback()
    _take_reconciliation_lock(app)  # free again
    assert long_writer_probes == [True]


def test_on_postgresql_an_api_write_waits_for_an_ordinary_holder_of_the_reconciliation_lock(postgres_books,
                                                                                           long_writer_probes):
    app = postgres_books[0]
    with ordinary_writer(app, f"SELECT pg_advisory_xact_lock({db.RECONCILIATION_LOCK})", release_after=0.3):
        _take_reconciliation_lock(app)
    assert long_writer_probes == [False]
