"""What contract fuzzing found, each kept as a regression test."""

from __future__ import annotations

import pytest

from ledger.errors import PROBLEM_JSON
from tests.api.test_errors import assert_problem


def test_error_responses_are_documented_as_problem_json(client):
    """Finding 1: flask-smorest documented every error response as application/json, while the service
    sends application/problem+json, so no error answer conformed to the document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for name, response in spec["components"]["responses"].items():
        assert list(response.get("content", {})) == [PROBLEM_JSON], name


@pytest.mark.parametrize("path", ["/api/v1/parties", "/api/v1/audit", "/api/v1/accounts", "/api/v1/journal/entries"])
@pytest.mark.parametrize("cursor", ["null", "%FF%FE", "////", "a"])
def test_a_cursor_that_is_not_ours_is_422_not_500(api, auditor, path, cursor):
    """Finding 2: a cursor that base64-decodes to bytes that are not UTF-8 ("null") raised marshmallow's
    ValidationError inside the listing, which only caught ValueError: a 500 for any caller."""
    response = api.get(f"{path}?cursor={cursor}", token=auditor)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert_problem(response, 422, "validation_error")
        assert "cursor" in response.get_json()["errors"]


@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775807", "2147483648", "0", "-1"])
def test_an_id_beyond_what_the_database_holds_is_422_not_500(api, auditor, value):
    """Finding 3 (security probes): `?agreement_id=99999999999999999999999` overflowed the database driver's
    integer (SQLite: OverflowError; PostgreSQL: out of range) — a 500, and on PostgreSQL anything above 2**31-1 did
    (ids are INTEGER there). Ids are now 1..2**31-1 (`contracts.common.Id`)."""
    response = api.get(f"/api/v1/accounts?agreement_id={value}", token=auditor)
    assert "agreement_id" in assert_problem(response, 422, "validation_error")["errors"]
    assert api.get("/api/v1/accounts?agreement_id=2147483647", token=auditor).status_code == 200


def test_an_int_route_segment_beyond_what_the_database_holds_is_404(database_url):
    """The same for path segments: every `<int:...>` route is bounded, so a future `/things/<int:id>` cannot
    hand the driver a number it cannot hold."""
    from ledger import create_app
    from ledger.auth import public

    app = create_app({"TESTING": True, "LEDGER_DATABASE_URL": database_url})

    @app.get("/probe/<int:n>")
    @public
    def probe(n):
        return {"n": n}

    client = app.test_client()
    assert client.get("/probe/2147483647").get_json() == {"n": 2147483647}
    assert_problem(client.get("/probe/2147483648"), 404, "not_found")
    app.extensions["ledger.db"].engine.dispose()


@pytest.mark.parametrize("path", ["/api/v1/parties/%00", "/api/v1/parties?cursor=%00",
                                  "/api/v1/journal/entries?source_id=a%00b", "/api/v1/accounts?purpose=%00"])
def test_a_nul_in_path_or_query_is_400_not_500(api, auditor, path):
    """Finding 4 (security probes, PostgreSQL): a NUL in a path segment or query value reached the database,
    which refuses NUL in text — a 500. The request is now refused at the edge."""
    assert_problem(api.get(path, token=auditor), 400, "invalid_characters")


def test_a_nul_in_a_json_field_is_422_naming_it(api, admin):
    """Finding 4, bodies: every contract schema refuses NUL in any string, naming the field."""
    body = {"code": "IT", "name": "Ita\u0000ly"}
    problem = assert_problem(api.post("/api/v1/parties", json=body, token=admin), 422, "validation_error")
    assert "name" in problem["errors"]


@pytest.mark.parametrize("key", ["abc\x00def", "abc\rdef", "abc\ndef"])
def test_an_idempotency_key_with_control_characters_is_422(api, admin, key):
    """Finding 5 (header injection probes, PostgreSQL): an Idempotency-Key with a NUL was stored — a 500."""
    response = api.client.post("/api/v1/parties", json={"code": "IT", "name": "Italy"},
                               headers={"Authorization": f"Bearer {admin}"},
                               environ_base={"HTTP_IDEMPOTENCY_KEY": key})
    assert_problem(response, 422, "validation_error")
    assert api.get("/api/v1/parties/IT", token=admin).status_code == 404


def test_an_unreachable_database_is_503_with_retry_after_not_500(instance_dir):
    """Finding 7 (fault bench, PostgreSQL restarted under load): every request that reached the database while
    it restarted answered 500 (psycopg OperationalError: connection failed). It is now 503 `unavailable` with
    Retry-After, like a failed commit already was, and the warning names the driver's reason."""
    from ledger import create_app

    app = create_app({"TESTING": True, "LEDGER_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere"})
    client = app.test_client()
    response = client.get("/api/v1/parties", headers={"Authorization": "Bearer rl_anything"})
    assert_problem(response, 503, "unavailable")
    assert response.headers["Retry-After"] == "1"
    assert client.get("/api/v1/health").status_code == 503
    app.extensions["ledger.db"].engine.dispose()


def test_a_programming_error_in_sqlite_stays_a_500(database_url):
    """The 503 is for passing conditions only: SQLite's OperationalError also means "no such table" (a bug)."""
    from sqlalchemy import text

    from ledger import create_app, db
    from ledger.auth import public

    app = create_app({"TESTING": False, "LEDGER_DATABASE_URL": database_url})

    @app.get("/bug")
    @public
    def bug():
        db.session().execute(text("SELECT * FROM no_such_table"))

    assert_problem(app.test_client().get("/bug"), 500, "internal_error")
    app.extensions["ledger.db"].engine.dispose()


def test_a_rollback_on_a_connection_the_server_dropped_does_not_turn_the_answer_into_a_500(app):
    """Finding 8 (fault bench, PostgreSQL restarted under load, 1 request in ~200): the request's closing
    ROLLBACK met a connection the restart had terminated (AdminShutdown) and the after-request hook answered
    500. The server has discarded that transaction already: the session is dropped and the answer stands."""
    from flask import g
    from sqlalchemy.exc import OperationalError

    from ledger import db

    class DeadSession:
        closed = False

        def rollback(self):
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

        def close(self):
            DeadSession.closed = True

    with app.test_request_context("/"):
        g.db_session = DeadSession()
        db.rollback()
        assert DeadSession.closed and "db_session" not in g


def test_every_timestamp_in_the_contracts_is_sent_with_its_offset():
    """Finding 9 (fuzzing over the seeded demo): SQLite returns `DateTime(timezone=True)` columns naive, and
    `fields.DateTime` sent them without an offset — returnee events, invoices (and their decision), statements,
    reconciliation runs and matches all violated `format: date-time` on SQLite. Every timestamp field is now
    `contracts.common.UtcDateTime`, which reads a naive value as the UTC it was stored as."""
    import importlib
    import pkgutil
    from datetime import datetime

    import marshmallow

    import contracts
    from contracts.common import UtcDateTime

    plain = []
    for info in pkgutil.iter_modules(contracts.__path__):
        module = importlib.import_module(f"contracts.{info.name}")
        for name, value in vars(module).items():
            schema = isinstance(value, type) and issubclass(value, marshmallow.Schema)
            if schema and value.__module__ == module.__name__:
                plain += [f"{module.__name__}.{name}.{field}" for field, f in value._declared_fields.items()
                          if isinstance(f, marshmallow.fields.DateTime) and not isinstance(f, UtcDateTime)]
    assert plain == []
    assert UtcDateTime()._serialize(datetime(2026, 3, 1, 12, 0), "at", None) == "2026-03-01T12:00:00+00:00"
