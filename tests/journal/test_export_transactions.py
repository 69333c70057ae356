"""The streamed journal export is a read: it holds no write lock, leaves no transaction open however far the
client reads it, and a failure part-way is visible (a refused file and a broken-off stream, never a clean 200)."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from beancount import loader
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ledger.journal import export, service
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money
from tests.conftest import Api, make_party

EXPORT = "/api/v1/journal/export?format=beancount"
COSTS = AccountKey("returns_costs", "GBP", "GB", "AL", 1)
OWED = AccountKey("obligations", "GBP", "AL", "GB", 1)


def _accruals(count: int) -> list[EntryDraft]:
    money = Money.of("100.00", "GBP")
    return [EntryDraft(date(2026, 3, 1 + i % 28), (debit(COSTS, money), credit(OWED, money)), "accrual", str(i))
            for i in range(count)]


def _locked_error() -> OperationalError:
    return OperationalError("SELECT …", {}, sqlite3.OperationalError("database is locked"))


# ---- on real connections (committed_app): what another connection sees afterwards ------------------------

@pytest.fixture
def books(committed_app):
    api = Api(committed_app, committed_app.test_client())
    admin = api.token("admin")
    for code in ("GB", "AL"):
        make_party(api, admin, code)
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        service.post_entries(s, _accruals(40))
        service.close_period(s, "2026-03")
        s.commit()
        s.close()
    return api, api.token("auditor")


def _assert_no_transaction_left(app) -> None:
    """PostgreSQL: no connection of ours idle in a transaction. SQLite: another connection writes at once."""
    url = make_url(app.config["LEDGER_DATABASE_URL"])
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url.set(drivername="postgresql+psycopg"))
        try:
            with engine.connect() as conn:
                idle = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar()
        finally:
            engine.dispose()
        assert idle == 0, f"{idle} connection(s) left idle in transaction"
    else:
        _write_at_once(url.database)


def _write_at_once(path: str) -> None:
    """Take SQLite's write lock without waiting: fails with 'database is locked' if anyone holds it."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_a_fully_read_export_leaves_no_transaction_open(committed_app, books):
    api, auditor = books
    bodies = []
    for _ in range(3):  # each export would leave one more
        response = api.get(EXPORT, token=auditor)
        assert response.status_code == 200
        bodies.append(response.get_data(as_text=True))
    _assert_no_transaction_left(committed_app)
    assert all(body.endswith("; end of the journal: 40 entries\n") for body in bodies)
    # and the CLI that used to find the database locked
    assert committed_app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_a_partly_read_export_leaves_no_transaction_open(committed_app, books):
    api, auditor = books
    response = api.get(EXPORT, token=auditor, buffered=False)
    chunks = iter(response.response)
    head = b"".join(next(chunks) for _ in range(5))
    assert head.startswith(b'option "title"')
    if committed_app.extensions["ledger.db"].dialect == "sqlite":
        _write_at_once(make_url(committed_app.config["LEDGER_DATABASE_URL"]).database)  # a reader blocks no writer
    response.close()  # the client went away half-way
    _assert_no_transaction_left(committed_app)


def test_an_export_never_read_leaves_no_transaction_open(committed_app, books):
    api, auditor = books
    response = api.get(EXPORT, token=auditor, buffered=False)
    assert response.status_code == 200
    response.close()
    _assert_no_transaction_left(committed_app)


def test_an_export_runs_while_a_writer_holds_the_lock(committed_app, books):
    """On SQLite the export reads beside a writer (WAL); it used to queue behind it for the write lock."""
    if committed_app.extensions["ledger.db"].dialect != "sqlite":
        pytest.skip("SQLite's single write lock")
    api, auditor = books
    writer = sqlite3.connect(make_url(committed_app.config["LEDGER_DATABASE_URL"]).database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        committed_app.extensions["ledger.db"].engine.dispose()  # fresh connections: nothing cached
        response = api.get(EXPORT, token=auditor)
        assert response.status_code == 200
        assert response.get_data(as_text=True).endswith("; end of the journal: 40 entries\n")
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_audit_verify_runs_while_a_writer_holds_the_lock(committed_app, books):
    """`ledger audit verify` is a read: on SQLite it used to wait for the write lock (and fail after 30 s)."""
    if committed_app.extensions["ledger.db"].dialect != "sqlite":
        pytest.skip("SQLite's single write lock")
    writer = sqlite3.connect(make_url(committed_app.config["LEDGER_DATABASE_URL"]).database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        result = committed_app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 0 and "journal: intact" in result.output, result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# ---- through the test client on the rolled-back connection ---------------------------------------------

@pytest.fixture
def posted(app, parties, session):
    service.post_entries(session, _accruals(5))
    service.close_period(session, "2026-03")
    session.commit()
    return parties


@pytest.fixture
def export_sessions(app, monkeypatch) -> list:
    """The sessions the export reads through, as it opens them."""
    opened = []
    database = app.extensions["ledger.db"]
    real = database.read_session

    def watched():
        opened.append(real())
        return opened[-1]

    monkeypatch.setattr(database, "read_session", watched)
    return opened


@pytest.mark.parametrize("read", ["all", "part", "none"])
def test_the_export_ends_its_transaction_however_far_it_is_read(api, auditor, posted, export_sessions, read):
    response = api.get(EXPORT, token=auditor, buffered=False)
    assert response.status_code == 200
    chunks = iter(response.response)
    if read == "all":
        assert b"".join(chunks).endswith(b"; end of the journal: 5 entries\n")
    elif read == "part":
        next(chunks)
    response.close()
    assert len(export_sessions) == 1 and not export_sessions[0].in_transaction()


def test_a_failure_mid_stream_breaks_the_stream_and_leaves_a_file_beancount_refuses(api, auditor, posted,
                                                                                       monkeypatch):
    """The status line is gone once the body streams: the failure shows as a stream that raises (the server
    breaks the connection off, no final chunk) after a last line that is not beancount."""
    def failing(*_args, **_kw):
        raise _locked_error()

    monkeypatch.setattr(service, "balances", failing)  # the closed periods' assertions come last
    response = api.get(EXPORT, token=auditor, buffered=False)
    assert response.status_code == 200
    received = []
    with pytest.raises(OperationalError):
        for chunk in response.response:
            received.append(chunk)
    response.close()
    body = b"".join(received).decode()
    assert "Liabilities:Obligations:AL:GB:A1" in body  # it had streamed the transactions
    assert "EXPORT FAILED" in body and "end of the journal" not in body
    _entries, errors, _options = loader.load_string(body)
    assert errors, "an importer must refuse a truncated export"


def test_a_failure_before_the_first_line_answers_with_a_problem(api, auditor, posted, monkeypatch):
    def failing(*_args, **_kw):
        raise _locked_error()

    monkeypatch.setattr(export, "account_name", failing)
    response = api.get(EXPORT, token=auditor)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"

