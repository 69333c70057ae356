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


@contextmanager
def short_writer(app):
    """Another API request's transaction holding SQLite's write lock: no long writer at work."""
    engine = app.extensions["ledger.db"].engine
    db.set_short_lock_waits(True)
    try:
        connection = engine.connect()
        transaction = connection.begin()
    finally:
        db.set_short_lock_waits(False)
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
