"""Token guessing is throttled per client address; each token has a ceiling; counters can live in Redis."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from ledger import create_app
from ledger.auth import ApiToken, hash_token, new_token
from tests.api.test_errors import assert_problem

REDIS = os.environ.get("LEDGER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


STORAGES = [
    "memory://",
    pytest.param(REDIS, marks=pytest.mark.skipif(
        not _redis_reachable() and not os.environ.get("CI"), reason="no Redis on 127.0.0.1:6379")),
]


@pytest.fixture(params=STORAGES)
def limited_app(request, database_url, instance_dir):
    """An app with small limits; each run gets its own key prefix in Redis so runs do not share counters."""
    app = create_app({
        "TESTING": True, "LEDGER_DATABASE_URL": database_url, "LEDGER_RATELIMIT_URL": request.param,
        "LEDGER_RATELIMIT_AUTH_FAILURES": "5 per minute", "LEDGER_RATELIMIT_PER_TOKEN": "8 per minute",
    })
    limiter = app.extensions["ledger.limiter"]
    limiter._key_prefix = f"ledger-test-{uuid.uuid4().hex[:8]}"
    yield app
    limiter.reset()
    app.extensions["ledger.db"].engine.dispose()


def _token(app, role="auditor") -> str:
    token = new_token()
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        s.add(ApiToken(name=f"rl-{uuid.uuid4().hex[:6]}", role=role, token_hash=hash_token(token)))
        s.commit()
        s.close()
    return token


def _get(client, token, addr="10.0.0.1"):
    return client.get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"},
                      environ_base={"REMOTE_ADDR": addr})


def test_guessing_tokens_is_refused_after_the_limit_with_retry_after(limited_app):
    client = limited_app.test_client()
    for _ in range(5):
        assert_problem(_get(client, "rl_guess" + uuid.uuid4().hex), 401, "invalid_token")
    refused = _get(client, "rl_guess" + uuid.uuid4().hex)
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Only failures are throttled: a right token from that address still works (looked up first), and does
    # not lift the refusal of the wrong ones.
    assert _get(client, _token(limited_app)).status_code == 200
    assert_problem(_get(client, "rl_guess" + uuid.uuid4().hex), 429, "rate_limited")
    # Another address is not affected.
    assert _get(client, _token(limited_app), addr="10.0.0.2").status_code == 200


def test_malformed_authorization_headers_count_as_failures(limited_app):
    client = limited_app.test_client()
    for _ in range(5):
        response = client.get("/api/v1/audit", headers={"Authorization": "Basic eDp5"},
                              environ_base={"REMOTE_ADDR": "10.0.0.3"})
        assert_problem(response, 401, "unauthorized")
    response = client.get("/api/v1/audit", headers={"Authorization": "Basic eDp5"},
                          environ_base={"REMOTE_ADDR": "10.0.0.3"})
    assert_problem(response, 429, "rate_limited")


def test_each_token_has_a_ceiling_of_its_own(limited_app):
    client = limited_app.test_client()
    busy, calm = _token(limited_app), _token(limited_app)
    for _ in range(8):
        assert _get(client, busy).status_code == 200
    refused = _get(client, busy)
    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert _get(client, calm).status_code == 200


def test_public_endpoints_and_anonymous_requests_are_not_counted_per_token(limited_app):
    client = limited_app.test_client()
    for _ in range(12):
        assert client.get("/api/v1/health").status_code == 200


def test_a_valid_token_works_after_many_bad_ones_from_its_address(database_url, instance_dir):
    """A gateway shared by a misconfigured integration and a good one: 40 bad tokens (twice the default limit)
    from one address, then the good token from the same address is served; the bad ones stay refused."""
    app = create_app({"TESTING": True, "LEDGER_DATABASE_URL": database_url})
    try:
        client = app.test_client()
        answers = {_get(client, "rl_bad" + uuid.uuid4().hex, addr="10.0.0.9").status_code for _ in range(40)}
        assert answers == {401, 429}
        assert _get(client, _token(app), addr="10.0.0.9").status_code == 200
        assert_problem(_get(client, "rl_bad" + uuid.uuid4().hex, addr="10.0.0.9"), 429, "rate_limited")
    finally:
        app.extensions["ledger.limiter"].reset()
        app.extensions["ledger.db"].engine.dispose()
