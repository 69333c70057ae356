"""Installable and operable: database failures on every path, rate limits behind a proxy, JSON logs, metrics."""

from __future__ import annotations

import psycopg
import pytest

from ledger.statements import service as statements
from ledger.statements.demo import GB_ACCOUNT, camt053
from tests.api.test_errors import assert_problem
from tests.api.test_statements import MOVES, register, upload


@pytest.mark.parametrize("error", [psycopg.OperationalError("server closed the connection unexpectedly"),
                                   psycopg.InterfaceError("the connection is lost")])
def test_a_connection_lost_on_the_raw_import_cursor_is_503_with_retry_after(api, admin, officer, parties,
                                                                             monkeypatch, error):
    """A connection killed during a statement import answered 500: the bulk insert runs on the raw psycopg
    cursor, whose OperationalError is not SQLAlchemy's and bypassed the handler that maps it to 503."""
    register(api, admin, "GB", GB_ACCOUNT)
    register(api, admin, "AL", MOVES[0][2])

    def lost_connection(session):
        def run(rows):
            raise error
        return run, False

    monkeypatch.setattr(statements, "_inserter", lost_connection)
    response = upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES))
    assert_problem(response, 503, "unavailable")
    assert int(response.headers["Retry-After"]) >= 1  # flask-limiter may lengthen it to its window's reset
