"""The per-request plumbing made cheaper for the partner API (issue 25): each change keeps what it replaced."""

from __future__ import annotations

import datetime
import json
import threading
import time
import uuid
from decimal import Decimal

import marshmallow as ma
import pytest
from sqlalchemy import text, update

from contracts.common import Schema
from ledger import create_app, db, ratelimit
from ledger.auth import ApiToken, hash_token, new_token
from ledger.parties.models import Party
from ledger.timeutil import utcnow
from tests.conftest import _test_config


def test_a_revoked_token_is_refused_at_once_by_another_app_on_the_same_database(committed_app):
    """Two app instances (two workers, two hosts) share one database: a revocation through one counts for the
    very next request to the other, which had just served the token."""
    other = create_app(_test_config(committed_app.config["LEDGER_DATABASE_URL"]))
    try:
        token = new_token()
        with committed_app.app_context():
            db.session().add(ApiToken(name="partner-integration", role="admin", token_hash=hash_token(token)))
            db.commit()
        headers = {"Authorization": f"Bearer {token}"}
        for app in (committed_app, other):
            assert app.test_client().get("/api/v1/parties", headers=headers).status_code == 200
        with committed_app.app_context():
            db.session().execute(update(ApiToken).where(ApiToken.token_hash == hash_token(token))
                                 .values(revoked_at=utcnow()))
            db.commit()
        for app in (other, committed_app):
            response = app.test_client().get("/api/v1/parties", headers=headers)
            assert response.status_code == 401 and response.get_json()["code"] == "invalid_token"
    finally:
        other.extensions["ledger.db"].engine.dispose()


def test_an_idle_pooled_connection_is_pinged_and_a_dead_one_replaced(tmp_path, monkeypatch):
    """No ping for a connection used moments ago (it cost a round trip on every request); a connection idle in
    the pool is pinged, and one that fails the ping is swapped for a new one before the request sees it."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ping.sqlite3'}")
    db._ping_idle_connections(engine)
    pings: list[int] = []
    fail = [False]

    def ping(dbapi_connection):
        pings.append(id(dbapi_connection))
        if fail[0]:
            raise OSError("server closed the connection")
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    with engine.connect() as conn:
        first = conn.connection.dbapi_connection
    with engine.connect() as conn:  # used moments ago: not pinged
        assert conn.connection.dbapi_connection is first
    assert pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as conn:  # idle (threshold 0): pinged, alive, kept
        assert conn.connection.dbapi_connection is first
    assert pings == [id(first)]
    fail[0] = True
    with engine.connect() as conn:  # pinged, dead: replaced by a new connection that works
        assert conn.connection.dbapi_connection is not first
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_the_memory_rate_limit_store_counts_without_a_thread_per_hit(monkeypatch):
    """limits' memory store started a sweeper thread on nearly every hit; ours sweeps at most once a second and
    counts the same (an expired window is ignored when read)."""
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    started = []
    real = threading.Timer

    def counting_timer(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("limits.storage.memory.threading.Timer", counting_timer)
    storage = storage_from_string(ratelimit.storage_uri("memory://"))
    assert isinstance(storage, ratelimit._SweptMemoryStorage)
    limiter = FixedWindowRateLimiter(storage)
    item = parse("50 per minute")
    granted = sum(limiter.hit(item, "token", "1") for _ in range(60))
    assert granted == 50
    assert len(started) <= 1  # the constructor's sweeper only
    assert ratelimit.storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_gunicorn_logs_each_request_once_not_twice():
    """gunicorn's access log, on whenever a logconfig_dict is given, repeated every request the app logs."""
    from gunicorn.config import Config

    from ledger.logs import GunicornLogger, gunicorn_logconfig

    config = Config()
    config.set("logconfig_dict", gunicorn_logconfig("INFO"))
    assert GunicornLogger(config).access_log_enabled is False
    config.set("accesslog", "-")  # asked for explicitly: written
    assert GunicornLogger(config).access_log_enabled is True


class _Plain(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    missing = ma.fields.String()


class _Ours(Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    missing = ma.fields.String()


@pytest.mark.parametrize("obj", [
    Party(code="AL", name="Albania"),
    {"code": "AL", "name": "Albania"},
    {"code": "AL"},
    type("Plain", (), {"code": "AL", "name": "Albania"})(),
])
def test_schemas_read_objects_and_dicts_as_marshmallow_does(obj):
    """The schemas' quicker attribute read (no hasattr through pydantic's __getattr__) dumps what marshmallow's own
    read dumps, for model objects, dicts (a key missing too) and plain objects."""
    assert _Ours().dump(obj) == _Plain().dump(obj)


def test_a_partner_pages_through_its_entries_by_cursor(api, parties, session):
    """The partner's visibility test is bounded by the page's cursor (its postings read from there on): every
    entry it is a side of comes once, in order, across pages; none of another pair's."""
    from datetime import date

    from ledger.journal import service
    from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
    from ledger.money import Money

    def entry(host, amount, day):
        money = Money.of(amount, "GBP")
        return EntryDraft(day, (debit(AccountKey("returns_costs", "GBP", "GB", host, 1), money),
                                credit(AccountKey("obligations", "GBP", host, "GB", 1), money)), "test", host)

    hosts = ["AL", "RW", "AL", "AL", "RW", "AL"]
    service.post_entries(session, [entry(h, f"{10 + i}.00", date(2026, 3, 1 + i)) for i, h in enumerate(hosts)])
    session.commit()
    seen, cursor = [], None
    while True:
        answer = api.get("/api/v1/journal/entries?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                         token=parties["AL"]).get_json()
        seen += [e["postings"][0]["amount"] for e in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == ["10.00", "12.00", "13.00", "15.00"]


def _limited_app(database_url, *, libraries_way: bool):
    app = create_app({**_test_config(database_url), "LEDGER_RATELIMIT_PER_TOKEN": "3 per minute"})
    if libraries_way:  # a request filter that exempts nothing: flask-limiter then resolves every request's limits
        app.extensions["ledger.limiter"].request_filter(lambda: False)
    return app


def _limited_answers(app, token: str) -> list[tuple]:
    """Status, problem code and rate-limit headers of: four reads of one endpoint by a token with 3 per minute (the
    fourth refused), one of another endpoint (a count of its own), an anonymous health check (not counted)."""
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    answers = []
    for path, headers in [*[("/api/v1/parties", bearer)] * 4, ("/api/v1/audit", bearer), ("/api/v1/health", {})]:
        response = client.get(path, headers=headers)
        limit_headers = [(name, value) for name, value in response.headers
                         if name.startswith("X-RateLimit-") or name == "Retry-After"]
        reset = int(response.headers.get("X-RateLimit-Reset", "0"))
        answers.append((response.status_code, (response.get_json() or {}).get("code"),
                        [name for name, _ in limit_headers],
                        [value for name, value in limit_headers if name in ("X-RateLimit-Limit",
                                                                            "X-RateLimit-Remaining")],
                        reset == 0 or 0 <= reset - time.time() <= 61,
                        int(response.headers.get("Retry-After", "60")) in range(1, 61)))
    return answers


def test_the_limiters_short_way_answers_as_flask_limiters_own(committed_app):
    """`ratelimit.Limiter` applies the default limits itself when nothing else is configured; flask-limiter's own
    resolution of each request's limits (taken when anything else is) answers the same statuses and headers."""
    url = committed_app.config["LEDGER_DATABASE_URL"]
    token = new_token()
    with committed_app.app_context():
        db.session().add(ApiToken(name="limited", role="auditor", token_hash=hash_token(token)))
        db.commit()
    answers = []
    for libraries_way in (False, True):
        app = _limited_app(url, libraries_way=libraries_way)
        try:
            answers.append(_limited_answers(app, token))
        finally:
            app.extensions["ledger.db"].engine.dispose()
    assert answers[0] == answers[1]
    statuses = [(status, code) for status, code, *_ in answers[0]]
    assert statuses == [(200, None)] * 3 + [(429, "rate_limited"), (200, None), (200, None)]
    assert answers[0][0][2] == ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]
    assert [values for *_, values, _, _ in answers[0][:5]] == [["3", "2"], ["3", "1"], ["3", "0"], ["3", "0"],
                                                                ["3", "2"]]
    assert answers[0][5][2] == [] and all(ok for *_, in_window, retry in answers[0] for ok in (in_window, retry))


@pytest.mark.parametrize("own", [{}, {"cache-control": "private"}, {"X-Frame-Options": "SAMEORIGIN", "ETag": '"x"'}])
def test_security_headers_are_added_as_setdefault_added_them(own):
    """Appended in order where missing, a response's own value (in any case) kept: byte for byte what
    `headers.setdefault` gave."""
    from flask import Response

    from ledger import SECURITY_HEADERS, _add_security_headers

    ours, theirs = Response("x", headers=own), Response("x", headers=own)
    _add_security_headers(ours)
    for name, value in SECURITY_HEADERS.items():
        theirs.headers.setdefault(name, value)
    assert list(ours.headers) == list(theirs.headers)


@pytest.mark.parametrize("value", [
    {"b": [1, None, True], "a": {"z": "2026-03", "y": "é ✓ \u2028"}, "amount": {"amount": "20000.00"}},
    {"on": datetime.date(2026, 3, 31), "at": datetime.datetime(2026, 3, 31, 12, 5)},
    {"money": Decimal("1.10"), "id": uuid.UUID(int=7)},
    {"big": 2**70},  # orjson refuses it: the standard library writes it
    {1: "a key that is not text"},  # the same
    [{"b": 1, "a": 2}] * 3,
])
def test_answers_are_the_json_flasks_own_provider_wrote(app, value):
    """orjson writes the answer: the same value to a JSON reader as Flask's encoder gave (keys sorted, dates as
    HTTP dates, decimals as text), and the same headers."""
    from flask.json.provider import DefaultJSONProvider

    with app.test_request_context():
        ours, theirs = app.json.response(value), DefaultJSONProvider(app).response(value)
    assert json.loads(ours.get_data()) == json.loads(theirs.get_data())
    assert list(json.loads(ours.get_data())) == list(json.loads(theirs.get_data()))  # the order of the keys too
    assert ours.get_data().endswith(b"\n") and ours.mimetype == theirs.mimetype == "application/json"


def test_a_request_without_the_session_cookie_gets_flasks_empty_session_without_a_signer(app, monkeypatch):
    """The signer is built only for a request that sent the cookie; with it, the session is the one Flask reads."""
    from flask import request
    from flask.sessions import SecureCookieSessionInterface

    interface = app.session_interface
    with app.test_request_context("/api/v1/parties"):
        with monkeypatch.context() as patched:
            patched.setattr(type(interface), "get_signing_serializer", lambda *_: pytest.fail("built a signer"))
            empty = interface.open_session(app, request)
        assert empty == {} and not empty.modified and isinstance(empty, interface.session_class)
    cookie = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"person": 7})
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}):
        assert interface.open_session(app, request) == {"person": 7}
        assert SecureCookieSessionInterface().open_session(app, request) == {"person": 7}


def test_an_api_change_refused_or_answered_does_not_vary_by_cookie(api, admin):
    """The API knows only bearer tokens: its answers, a refused change's included, do not depend on a cookie."""
    refused = api.post("/api/v1/parties", json={}, token=admin)
    created = api.post("/api/v1/parties", json={"code": "IT", "name": "Italy"}, token=admin)
    unknown = api.post("/api/v1/parties", json={}, token="rl_not-a-token")
    assert (refused.status_code, created.status_code, unknown.status_code) == (422, 201, 401)
    assert [r.headers.get("Vary") for r in (refused, created, unknown)] == [None, None, None]
