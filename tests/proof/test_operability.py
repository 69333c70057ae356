"""Installable and operable: database failures on every path, rate limits behind a proxy, JSON logs, metrics."""

from __future__ import annotations

import json

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
        def run(connection, rows):  # on the import's background writer, as the real insert
            raise error
        return run, False

    monkeypatch.setattr(statements, "_inserter", lost_connection)
    response = upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES))
    assert_problem(response, 503, "unavailable")
    assert int(response.headers["Retry-After"]) >= 1  # flask-limiter may lengthen it to its window's reset


# Rate limits behind a load balancer


def test_production_refuses_a_per_process_rate_limit_store(tmp_path):
    """memory:// counts per worker: 4 gunicorn workers granted 4x the limit. Production needs a shared store."""
    from ledger.config import ConfigError, load
    from tests.test_factory import _production

    for store in ({"LEDGER_RATELIMIT_URL": "memory://"}, {"LEDGER_RATELIMIT_URL": ""}):
        with pytest.raises(ConfigError, match="LEDGER_RATELIMIT_URL") as error:
            load(str(tmp_path), environ=_production(**store))
        assert "\n" not in str(error.value)
    assert load(str(tmp_path), environ=_production())["LEDGER_RATELIMIT_URL"] == "redis://redis:6379/0"


def test_a_trusted_proxy_hops_number_must_be_a_count(tmp_path):
    from ledger.config import ConfigError, load

    assert load(str(tmp_path), environ={"LEDGER_TRUSTED_PROXIES": "1"})["LEDGER_TRUSTED_PROXIES"] == 1
    assert load(str(tmp_path), environ={})["LEDGER_TRUSTED_PROXIES"] == 0
    with pytest.raises(ConfigError, match="LEDGER_TRUSTED_PROXIES"):
        load(str(tmp_path), environ={"LEDGER_TRUSTED_PROXIES": "yes"})


@pytest.fixture
def proxied_app(database_url):
    """Small failed-auth limit; every request arrives from the one load balancer at 10.0.0.9."""
    from ledger import create_app

    def make(hops: int):
        app = create_app({"TESTING": True, "LEDGER_DATABASE_URL": database_url, "LEDGER_RATELIMIT_URL": "memory://",
                          "LEDGER_RATELIMIT_AUTH_FAILURES": "3 per minute", "LEDGER_TRUSTED_PROXIES": hops})
        made.append(app)
        return app

    made: list = []
    yield make
    for app in made:
        app.extensions["ledger.limiter"].reset()
        app.extensions["ledger.db"].engine.dispose()


def _guess(client, forwarded_for: str):
    return client.get("/api/v1/audit", headers={"Authorization": "Bearer rl_guess", "X-Forwarded-For": forwarded_for},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"})


def test_behind_a_trusted_proxy_one_guessing_client_does_not_lock_out_the_others(proxied_app):
    """Behind a load balancer every request came from its address: one client guessing tokens got every
    partner refused. With LEDGER_TRUSTED_PROXIES=1 the failures count per forwarded client address."""
    client = proxied_app(1).test_client()
    for _ in range(3):
        assert_problem(_guess(client, "203.0.113.5"), 401, "invalid_token")
    assert_problem(_guess(client, "203.0.113.5"), 429, "rate_limited")
    assert_problem(_guess(client, "203.0.113.6"), 401, "invalid_token")


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(proxied_app):
    """Otherwise a guesser would name a new X-Forwarded-For on each try and never be throttled."""
    client = proxied_app(0).test_client()
    for n in range(3):
        assert_problem(_guess(client, f"203.0.113.{n}"), 401, "invalid_token")
    assert_problem(_guess(client, "203.0.113.99"), 429, "rate_limited")


# Logs


def _json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # a line that is not JSON fails here


def test_the_request_line_names_method_route_status_duration_client_principal_and_request_id(api, admin, capsys):
    capsys.readouterr()
    response = api.client.get("/api/v1/parties/ZZ", headers={"Authorization": f"Bearer {admin}",
                                                              "X-Request-Id": "req-" + "a" * 12},
                              environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 404
    request_lines = [line for line in _json_lines(capsys.readouterr().err) if line.get("event") == "request"]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert {k: line[k] for k in ("method", "path", "status", "client", "request_id")} == {
        "method": "GET", "path": "/api/v1/parties/<string:code>", "status": 404, "client": "198.51.100.7",
        "request_id": "req-" + "a" * 12}
    assert line["principal"].startswith("token:") and isinstance(line["duration_ms"], float)
    assert "ZZ" not in json.dumps(line)  # the route's template, not the path with its ids


def test_a_library_warning_through_standard_logging_is_a_json_line(app, capsys):
    """psycopg (and every other library) logs through the standard library: those lines were plain text."""
    import logging

    capsys.readouterr()
    logging.getLogger("psycopg").warning("connection %s lost", "pool-1")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "connection pool-1 lost" and line["level"] == "warning" and line["logger"] == "psycopg"


@pytest.fixture
def restored_logging():
    import logging

    loggers = [logging.getLogger(name) for name in ("", "gunicorn.error", "gunicorn.access")]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
    logging.captureWarnings(False)  # gunicorn.conf.py turned it on


def test_gunicorns_own_log_lines_are_json(capsys, restored_logging):
    """gunicorn.conf.py gives gunicorn's loggers the JSON formatter: its lines (worker booted, timed out) were
    plain text between the app's JSON lines."""
    import runpy
    from pathlib import Path

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    config = Config()
    config.set("logconfig_dict", settings["logconfig_dict"])
    config.set("errorlog", settings["errorlog"])
    logger = Logger(config)
    capsys.readouterr()
    logger.info("Booting worker with pid: %s", 4242)
    logger.critical("WORKER TIMEOUT (pid:%s)", 4242)
    lines = _json_lines(capsys.readouterr().err)
    assert [(line["event"], line["level"], line["logger"]) for line in lines] == [
        ("Booting worker with pid: 4242", "info", "gunicorn.error"),
        ("WORKER TIMEOUT (pid:4242)", "critical", "gunicorn.error")]


# Metrics

METRICS_TOKEN = "metrics-" + "t" * 32


def test_metrics_are_served_to_the_metrics_token_only(app, client, monkeypatch):
    """/metrics was open to anyone (endpoint names, traffic, error rates)."""
    monkeypatch.setitem(app.config, "LEDGER_METRICS_TOKEN", "")
    assert_problem(client.get("/metrics"), 404, "not_found")
    monkeypatch.setitem(app.config, "LEDGER_METRICS_TOKEN", METRICS_TOKEN)
    assert_problem(client.get("/metrics"), 401, "invalid_token")
    assert_problem(client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40}), 401, "invalid_token")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"


def test_production_needs_a_metrics_token(tmp_path):
    from ledger.config import ConfigError, load
    from tests.test_factory import _production

    with pytest.raises(ConfigError, match="LEDGER_METRICS_TOKEN"):
        load(str(tmp_path), environ=_production(LEDGER_METRICS_TOKEN=""))


def test_metrics_have_latency_by_endpoint_and_the_database_pool(app, api, admin, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_METRICS_TOKEN", METRICS_TOKEN)
    api.get("/api/v1/parties", token=admin)
    text = api.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_data(as_text=True)
    assert 'ledger_http_request_seconds_bucket{endpoint="parties.PartyList"' in text or \
        'ledger_http_request_seconds_count{endpoint="' in text
    for gauge in ("ledger_db_pool_size", "ledger_db_pool_checked_out", "ledger_db_pool_overflow"):
        assert f"\n{gauge} " in text, gauge


def test_under_gunicorn_every_scrape_counts_every_workers_requests(database_url, tmp_path):
    """Each gunicorn worker had its own counters: a scrape saw whichever worker answered it. In multiprocess
    mode (gunicorn.conf.py) every scrape reports the whole service."""
    import os
    import urllib.request

    from tests.serving import free_port, start_gunicorn, wait_for_health

    port = free_port()
    env = {**os.environ, "LEDGER_ENV": "development", "LEDGER_DATABASE_URL": database_url,
           "LEDGER_BIND": f"127.0.0.1:{port}", "LEDGER_WORKERS": "2", "LEDGER_METRICS_TOKEN": METRICS_TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "LEDGER_LOG_LEVEL": "WARNING"}
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process, log)
        for _ in range(30):
            urllib.request.urlopen(f"{base}/livez", timeout=5).read()
        for _ in range(4):
            scrape = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            text = urllib.request.urlopen(scrape, timeout=5).read().decode()
            counted = [line for line in text.splitlines()
                       if line.startswith("ledger_http_requests_total{") and 'endpoint="live"' in line]
            assert len(counted) == 1 and float(counted[0].rsplit(" ", 1)[1]) == 30.0, counted
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        assert all(line.startswith("{") for line in lines), lines  # gunicorn's own lines are JSON too
    finally:
        process.terminate()
        process.wait(timeout=30)
