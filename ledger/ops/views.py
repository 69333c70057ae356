"""Health and metrics: what an operator's probes and Prometheus scrape."""

from __future__ import annotations

import hmac
import os
import time

from flask import Flask, Response, current_app, g, request
from flask.views import MethodView
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from contracts.ops import HealthSchema
from ledger import db
from ledger.api import blueprint
from ledger.auth import public

blp = blueprint("ops", "Service health")

REGISTRY = CollectorRegistry()
REQUESTS = Counter("ledger_http_requests_total", "HTTP requests", ["method", "endpoint", "status"], registry=REGISTRY)
LATENCY = Histogram("ledger_http_request_seconds", "HTTP request latency", ["endpoint"], registry=REGISTRY)
# Under gunicorn each worker has its own pool: "livesum" adds up the live workers' values at a scrape.
POOL_SIZE = Gauge("ledger_db_pool_size", "Database connections the pools keep", registry=REGISTRY,
                  multiprocess_mode="livesum")
POOL_CHECKED_OUT = Gauge("ledger_db_pool_checked_out", "Database connections in use (at each request's end)",
                         registry=REGISTRY, multiprocess_mode="livesum")
POOL_OVERFLOW = Gauge("ledger_db_pool_overflow", "Database connections opened beyond the pools' size",
                      registry=REGISTRY, multiprocess_mode="livesum")


@blp.route("/health", endpoint="health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.doc(security=[])
    @public
    def get(self):
        """Is the service up, and can it reach its database?"""
        try:
            db.session().execute(text("SELECT 1"))
            database = "ok"
        except Exception:  # an unreachable database is what this endpoint exists to report
            database = "unavailable"
        body = {"status": "ok" if database == "ok" else "degraded", "database": database}
        return body, 200 if database == "ok" else 503


@public
def metrics() -> Response:
    """Prometheus text, for the bearer of LEDGER_METRICS_TOKEN only (none configured: 404, not served). Under
    gunicorn (PROMETHEUS_MULTIPROC_DIR, see gunicorn.conf.py) every worker's counters, not just this one's."""
    from ledger import ratelimit
    from ledger.errors import NotFound, Unauthorized

    expected = current_app.config.get("LEDGER_METRICS_TOKEN")
    if not expected:
        raise NotFound("metrics are not served: LEDGER_METRICS_TOKEN is not set")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        ratelimit.refuse_if_guessing()
        ratelimit.count_failure()
        raise Unauthorized("metrics need the metrics token as bearer token", code="invalid_token")
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    merged = CollectorRegistry()
    MultiProcessCollector(merged)
    return merged


@public
def live() -> Response:
    """Liveness: the process answers; no database touched, so a database outage does not restart it."""
    return Response("ok\n", mimetype="text/plain")


def start_timer() -> None:
    g.started = time.perf_counter()


def elapsed() -> float:
    """Seconds since the request began (0 if it never reached the before-request hook)."""
    return time.perf_counter() - g.started if "started" in g else 0.0


def observe(response: Response) -> None:
    endpoint = request.endpoint or "unknown"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    if "started" in g:
        LATENCY.labels(endpoint).observe(time.perf_counter() - g.started)
    _observe_pool()


def _observe_pool() -> None:
    pool = current_app.extensions["ledger.db"].engine.pool
    for gauge, reading in ((POOL_SIZE, "size"), (POOL_CHECKED_OUT, "checkedout"), (POOL_OVERFLOW, "overflow")):
        read = getattr(pool, reading, None)  # SQLite's pools for :memory: have no size
        if read is not None:
            gauge.set(max(0, read()))


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics)
    app.add_url_rule("/livez", "live", live)
