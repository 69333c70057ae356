"""Health and metrics: what an operator's probes and Prometheus scrape."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy import text

from contracts.ops import HealthSchema
from ledger import db
from ledger.api import blueprint
from ledger.auth import public

blp = blueprint("ops", "Service health")

REGISTRY = CollectorRegistry()
REQUESTS = Counter("ledger_http_requests_total", "HTTP requests", ["method", "endpoint", "status"], registry=REGISTRY)
LATENCY = Histogram("ledger_http_request_seconds", "HTTP request latency", ["endpoint"], registry=REGISTRY)


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
@public
def health():
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
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


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


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics)
    app.add_url_rule("/livez", "live", live)
