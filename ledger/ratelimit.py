"""Rate limits (flask-limiter): token guessing is throttled per client address, and each token has a
generous ceiling so one runaway integration cannot starve the others.

Counters live in `LEDGER_RATELIMIT_URL`: `memory://` (per worker process) in development, Redis
(`redis://host:6379/0`, required in production) to share them between workers and hosts. The client address is
the socket's, or behind `LEDGER_TRUSTED_PROXIES` load balancers the forwarded one (werkzeug's ProxyFix, see
`ledger.create_app`). A breach answers 429 problem+json `rate_limited` with Retry-After.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from limits import parse
from limits.storage import MemoryStorage

from ledger.errors import Problem

AUTH_FAILURES_SCOPE = "auth-failures"


def _key() -> str:
    principal = g.get("principal")
    return principal.key if principal is not None else (request.remote_addr or "unknown")


def _anonymous() -> bool:
    """Requests without a principal are limited by the auth-failure counter, not the per-token one."""
    return g.get("principal") is None


def _limiter() -> Limiter:
    return current_app.extensions["ledger.limiter"]


def _client() -> str:
    return request.remote_addr or "unknown"


def refuse_if_guessing() -> None:
    """On a failed authentication: a client that failed too often recently is refused (429), not told why."""
    limiter = _limiter()
    if not limiter.enabled:
        return
    item = parse(current_app.config["LEDGER_RATELIMIT_AUTH_FAILURES"])
    if not limiter.limiter.test(item, AUTH_FAILURES_SCOPE, _client()):
        reset_at, _ = limiter.limiter.get_window_stats(item, AUTH_FAILURES_SCOPE, _client())
        raise RateLimited(reset_at)


def count_failure() -> None:
    limiter = _limiter()
    if limiter.enabled:
        limiter.limiter.hit(parse(current_app.config["LEDGER_RATELIMIT_AUTH_FAILURES"]), AUTH_FAILURES_SCOPE,
                            _client())


class RateLimited(Problem):
    status, code = 429, "rate_limited"

    def __init__(self, reset_at: float):
        wait = max(1, math.ceil(reset_at - time.time()))
        super().__init__("too many requests; retry after the time in Retry-After",
                         headers={"Retry-After": str(wait)})


class _SweptMemoryStorage(MemoryStorage):
    """`memory://` as limits keeps it, but its sweep of expired counters at most once a second.

    limits' memory storage starts a timer thread (the sweep) on every hit that finds none running, which is every
    request of a busy worker: a thread start per request, more CPU than the counting itself. An expired counter is
    already ignored when read (`MemoryStorage.get`), so the sweep only frees memory: it runs inline, once a second."""

    STORAGE_SCHEME = ["ledger-memory"]
    SWEEP_EVERY_SECONDS = 1.0
    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # the parent's private method, by its mangled name
        now = time.monotonic()
        if now >= self._next_sweep:  # swept here, in the request's thread: no thread to start
            self._next_sweep = now + self.SWEEP_EVERY_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def storage_uri(configured: str) -> str:
    """The limits storage for LEDGER_RATELIMIT_URL: `memory://` is served by `_SweptMemoryStorage`."""
    if configured.startswith("memory://"):
        return "ledger-memory://" + configured.removeprefix("memory://")
    return configured


def init_app(app: Flask) -> Limiter:
    """Call after the request hook that authenticates, so the per-token limit sees the principal."""
    limiter = Limiter(
        _key,
        app=app,
        storage_uri=storage_uri(app.config["LEDGER_RATELIMIT_URL"]),
        default_limits=[app.config["LEDGER_RATELIMIT_PER_TOKEN"]],
        default_limits_exempt_when=_anonymous,
        headers_enabled=True,
        strategy="fixed-window",
        key_prefix="ledger",
        enabled=app.config["LEDGER_RATELIMIT_ENABLED"],
    )
    app.extensions["ledger.limiter"] = limiter
    return limiter
