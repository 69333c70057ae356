"""Returns Ledger: the system of record for money moving between states under returns agreements."""

from __future__ import annotations

import re
import uuid

import structlog
from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from ledger import config as config_module

log = structlog.get_logger("ledger.http")

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def create_app(test_config: dict | None = None, *, http: bool = True) -> Flask:
    """Defaults, then the environment, then `test_config`; extensions next; blueprints last.

    `http=False` is the app the ledger's own commands run in (`ledger.cli`): the same configuration, database,
    signing key, models and commands, without what only answers requests — the API's blueprints and OpenAPI
    document, the pages, metrics, rate limits and request hooks. Building those is most of the app's start-up,
    which a command such as `ledger statements import` would otherwise pay for nothing."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config_module.load(app.instance_path))
    if test_config:
        app.config.update(test_config)

    from ledger import db, errors, logs

    logs.configure(app.config["LEDGER_LOG_LEVEL"])
    db.init_app(app)
    _record_signing_key(app)
    errors.init_app(app)
    if http:
        _serve_http(app)
    else:
        from ledger.features import import_models

        import_models()
    from ledger.cli import register as register_cli

    register_cli(app)
    return app


def _serve_http(app: Flask) -> None:
    _trust_proxies(app)
    app.session_interface = _CookieSessions()
    _register_features(app)
    app.before_request(_begin_request)
    app.after_request(_finish_request)
    from ledger import ratelimit

    ratelimit.init_app(app)  # after _begin_request: its per-token limit needs the authenticated principal


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the cookie's signer for a request that sent no cookie (every
    API request: a partner's system authenticates with its token). Flask builds the signer first, and building one
    serialises a probe value: a few percent of an API request's CPU for nothing. What a request without the cookie
    gets is what Flask gives it: an empty session (and none when the app has no secret key)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _trust_proxies(app: Flask) -> None:
    """Behind LEDGER_TRUSTED_PROXIES load balancers the socket's address is the proxy's: without this, one
    client guessing tokens would get every partner behind the same proxy refused."""
    hops = app.config.get("LEDGER_TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _record_signing_key(app: Flask) -> None:
    """Starting with a new LEDGER_SIGNING_KEY is the rotation: record it, retiring the previous key."""
    from ledger.settlement import keys, signing

    public_key = signing.public_key_b64(signing.private_key(app.config["LEDGER_SIGNING_KEY"]))
    keys.record_on_start(app.extensions["ledger.db"].engine, public_key)


def _register_features(app: Flask) -> None:
    from ledger import api
    from ledger.features import blueprints, init_features

    init_features(app)
    api.init_app(app, blueprints())


def _begin_request() -> Response | None:
    from ledger import auth, db, idempotency
    from ledger.api import waits_long
    from ledger.ops.views import start_timer

    start_timer()
    supplied = request.headers.get("X-Request-Id", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)
    reads = request.method in _SAFE_METHODS
    db.set_read_only(reads)
    rule = request.url_rule.rule if request.url_rule else ""
    # Reads never wait (MVCC, WAL) and cost no extra round trip short; the officers' pages are back office; the
    # long writers (`ledger.api.long_writer`, API and pages) wait as the ledger's commands do, and an API write
    # does not wait for their locks at all.
    if not reads and waits_long(current_app, request.endpoint, request.method):
        db.set_lock_role(db.LockRole.LONG_WRITER)
    else:
        db.set_lock_role(db.LockRole.SHORT if reads or rule.startswith("/api/") else db.LockRole.ORDINARY)
    _refuse_nul_characters()
    _refuse_an_oversized_stream()
    auth.authenticate()
    return idempotency.begin()


def _refuse_nul_characters() -> None:
    """A NUL in the path or query can name nothing, and PostgreSQL refuses it in text (a 500 if it got there)."""
    from ledger.errors import Problem

    if "\x00" in request.path or any(
        "\x00" in name or "\x00" in value for name, value in request.args.items(multi=True)
    ):
        raise Problem("the request's path or query contains a NUL character", code="invalid_characters")


_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _refuse_an_oversized_stream() -> None:
    """A chunked body has no Content-Length, and werkzeug stops reading it quietly at the limit: the truncated
    body would answer 400 invalid_json. Read one byte past the limit instead, and answer what it is: 413.
    (Form bodies are left to werkzeug's form parser, which raises 413 itself.)"""
    from ledger.errors import Problem

    limit = request.max_content_length
    if request.content_length is not None or limit is None or request.method in _SAFE_METHODS \
            or request.mimetype in _FORMS:
        return
    request.max_content_length = limit + 1
    if len(request.get_data(cache=True)) > limit:
        raise Problem(f"the body is larger than {limit} bytes", status=413, code="payload_too_large")


def _finish_request(response: Response) -> Response:
    """The single commit point: a success commits the request's work with its audit record; all else rolls back."""
    from ledger import db, idempotency
    from ledger.audit import service as audit
    from ledger.ops.views import observe

    changes = request.method not in _SAFE_METHODS
    replayed = response.headers.get(idempotency.REPLAYED) == "true"
    if response.status_code < 400 and changes and not replayed:
        try:
            principal = g.get("principal")
            audit.flush_notes(db.session(), principal.key if principal else "anonymous", g.request_id,
                              f"{request.method} {request.endpoint}")
            idempotency.finish_success(response)
            db.commit()
        except Exception as error:  # a failed commit must not answer as if it had succeeded
            db.rollback()
            _keep_the_cookie_as_it_came()
            response = _commit_failure(error)
    elif response.status_code >= 400:
        db.rollback()
        if changes:
            _keep_the_cookie_as_it_came()
            idempotency.store_failure(response)
    else:
        db.rollback()  # reads end their transaction without writing
    response.headers["X-Request-Id"] = g.get("request_id", "")
    _add_security_headers(response)
    observe(response)
    _log_request(response)
    return response


def _keep_the_cookie_as_it_came() -> None:
    """A change that rolls back changes nothing, the session cookie included: a sign-in whose commit failed used to
    answer its error with the cookie that opened the session, its audit record rolled back. What the view put in
    the session is replaced by what the request's cookie holds, and marked unchanged, so Flask (which saves the
    session after this) sends no new cookie. The API is left alone: it knows only bearer tokens, nothing in it
    writes the session, and reading the session marks the answer `Vary: Cookie`."""
    from flask import session

    if request.path.startswith("/api/"):
        return
    if session.modified:
        came = current_app.session_interface.open_session(current_app, request) or {}
        session.clear()
        session.update(came)
        session.modified = False


def _add_security_headers(response: Response) -> None:
    """Each of SECURITY_HEADERS the response does not carry already, appended in order: what `headers.setdefault`
    does, without its three scans of the headers and a raised KeyError for each one missing (~36,000 instructions a
    header, every request)."""
    present = {name.lower() for name, _ in response.headers}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)


def _log_request(response: Response) -> None:
    """One line per request: the route's template, never the path itself (it may hold ids); the client address
    is the forwarded one behind trusted proxies; the request id is bound in the context."""
    from ledger.ops.views import elapsed

    principal = g.get("principal")
    log.info("request", method=request.method, path=request.url_rule.rule if request.url_rule else None,
             endpoint=request.endpoint, status=response.status_code, duration_ms=round(elapsed() * 1000, 2),
             client=request.remote_addr, principal=principal.key if principal is not None else None)


def _commit_failure(error: Exception) -> Response:
    from sqlalchemy.exc import IntegrityError

    from ledger import errors

    if isinstance(error, IntegrityError):
        problem = errors.integrity_problem(error) or errors.Conflict("the change conflicts with another one; "
                                                                     "read and retry")
        return errors.handle_problem(problem)
    if isinstance(error, errors.database_unavailable_errors()):
        return errors.handle_database_unavailable(error)
    if isinstance(error, errors.BooksBusy):  # the audit chain's head is a long writer's
        return errors.books_busy_response(error)
    return errors.handle_unexpected(error)
