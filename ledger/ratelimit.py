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

import flask_limiter
from flask import Flask, current_app, g, request
from flask_limiter import RequestLimit
from flask_limiter.errors import RateLimitExceeded
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


class Limiter(flask_limiter.Limiter):
    """flask-limiter's `Limiter`, its check before each request cut to what the ledger configures.

    Before every request flask-limiter works out afresh which limits apply (application, default, decorated,
    blueprint and meta limits, their exemptions and hints), parsing the default limits' strings on the way: some
    0.5 M instructions a request, health checks included, several times the counting itself. The ledger configures
    default limits and decorated ones only, so the answer never changes: the default limits on every endpoint but
    static files. While nothing more is configured, the check applies them directly and leaves in the request's
    context what flask-limiter's own would, so its after-request hook writes the same headers and a breach raises the
    same `RateLimitExceeded`, logged the same (`tests/test_request_plumbing.py` compares both ways); anything more
    goes flask-limiter's own way. A limiter without default limits (the pages' sign-in limiter, whose one limit its
    decorator checks) has nothing to do before a request at all."""

    _defaults_from: list | None = None
    _defaults: tuple | None = ()

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        defaults = self._plain_defaults() if in_middleware and callable_name is None else None
        if defaults == ():
            return None  # no default, application or meta limits: nothing applies before the view
        if defaults is None or self._marked_for_limiting or self.limit_manager._endpoint_hints:
            return super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
        endpoint = self.identify_request()
        if not endpoint or not (self.enabled and self.initialized) or endpoint.split(".")[-1] == "static":
            return None
        self._apply(endpoint, defaults)
        return None

    def _plain_defaults(self) -> tuple | None:
        """The default limits, parsed once, in the order flask-limiter tests them; None when something is configured
        that makes the limits of a request depend on more than its endpoint, or a default limit is computed per
        request or has a conditional deduction, a breach callback or meta limits (flask-limiter's own way, then)."""
        manager = self.limit_manager
        if (self._request_filters or self._meta_limits or self._in_memory_fallback_enabled or self._swallow_errors
                or self._on_breach or not self._fail_on_first_breach or manager._application_limits
                or manager._blueprint_limits or manager._route_exemptions or manager._blueprint_exemptions):
            return None
        source = manager._default_limits
        if source is not self._defaults_from:
            plain = all(isinstance(group.limit_provider, str)
                        and not (group.deduct_when or group.on_breach or group.meta_limits) for group in source)
            self._defaults = tuple(sorted(manager.default_limits, key=lambda limit: limit.limit)) if plain else None
            self._defaults_from = source
        return self._defaults

    def _apply(self, endpoint: str, limits: tuple) -> None:
        """flask-limiter's evaluation of a request's limits (`Limiter.__evaluate_limits`) for limits without
        conditional deductions, breach callbacks or meta limits, stopping at the first breach (its default)."""
        view_limits: list[RequestLimit] = []
        breached = None
        for limit in limits:
            if limit.is_exempt or limit.method_exempt:
                continue
            scope, key = limit.scope_for(endpoint, request.method), limit.key_func()
            if not (key and scope):
                self.logger.error(f"Skipping limit: {limit.limit}. Empty value found in parameters.")
                continue
            arguments = [self._key_prefix, key, scope] if self._key_prefix else [key, scope]
            view_limits.append(RequestLimit(self, limit.limit, arguments, False, limit.shared))
            if not self.limiter.hit(limit.limit, *arguments, cost=limit.deduction_amount):
                self.logger.info("ratelimit %s (%s) exceeded at endpoint: %s", limit.limit, key, scope)
                view_limits[-1].breached = True
                breached = limit
                break
        context = self.context
        context.view_rate_limits = view_limits
        if breached is not None:
            context.view_rate_limit = view_limits[-1]
            raise RateLimitExceeded(breached)
        explicit = [limit for limit in view_limits if not limit.shared]
        context.view_rate_limit = (explicit or view_limits or [None])[0]


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
