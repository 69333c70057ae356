"""Busy books: while a long writer holds the books, a partner's write says so (503 `books_busy`, Retry-After) instead
of waiting for it, writes nothing, and succeeds once sent again; reads go on answering meanwhile."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text

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
    append its audit record."""
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
