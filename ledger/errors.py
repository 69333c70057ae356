"""RFC 9457 problem details for every error, with a stable snake_case `code`.

Domain code raises `Problem` (or a subclass); rule modules that know nothing of HTTP raise their own domain
errors (`ledger.refusals.Refusal`, e.g. the journal's), answered here by their kind; werkzeug's HTTP errors, webargs'
validation errors and the database's named constraints are translated here, so no error leaves the service in
another shape. A 500 says nothing of its cause to the
caller; the log has it, under the request id the response carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException

from ledger.refusals import Refusal

log = structlog.get_logger("ledger.errors")

PROBLEM_JSON = "application/problem+json"

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class Problem(Exception):
    """An error a caller can act on. `detail` must be safe to show: no personal data, no internals."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        self.status = status or self.status
        self.code = code or self.code
        self.detail = detail or HTTPStatus(self.status).phrase
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)


class NotFound(Problem):
    status, code = 404, "not_found"


def not_found(kind: str) -> NotFound:
    """The one 404 for an object of `kind`, whether it does not exist or belongs to parties the caller is not: the
    same body both ways (and no echoed id), so a 404 never tells a partner that another party's object exists."""
    return NotFound(f"no such {kind}")


class PreconditionFailed(Problem):
    status, code = 412, "precondition_failed"


_ENTITY_TAG = re.compile(r'^(W/)?"[^"]*"$')
_BARE_VERSION = re.compile(r'^"?\d+"?$')


def check_if_match(current: str, if_match: str | None, what: str) -> None:
    """Optimistic concurrency for a change: an If-Match naming another version than `current` (the ETag)
    is refused with 412; a request without one did not ask for the check. An If-Match that is no ETag of ours
    — not a quoted entity-tag, or the body's `version` number ("1") — is a 400 `malformed_etag` showing the
    expected form, rather than a 412 that would send the caller re-reading a resource that never changed."""
    if if_match is None or if_match.strip() == "*":
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if not all(_ENTITY_TAG.match(tag) and not _BARE_VERSION.match(tag) for tag in tags):
        message = f"If-Match takes the ETag header's value as sent, e.g. {current} (quoted), not the body's version"
        raise Problem(message, code="malformed_etag", errors={"If-Match": [message]}, extra={"expected_form": current})
    if current not in tags:
        raise PreconditionFailed(f"the {what} changed since you read it")


class Forbidden(Problem):
    status, code = 403, "forbidden"


class Unauthorized(Problem):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="ledger"'})
        super().__init__(detail, **kwargs)


class Conflict(Problem):
    status, code = 409, "conflict"


class Unprocessable(Problem):
    status, code = 422, "validation_error"


def field_error(field: str, message: str, code: str = "validation_error") -> Unprocessable:
    """A 422 naming the one field that is wrong."""
    return Unprocessable(f"{field}: {message}", code=code, errors={field: [message]})


def fields_error(findings: Sequence[tuple[str, str, str]]) -> Unprocessable:
    """A 422 naming every field that is wrong, each finding (field, message, code): the first gives the code and
    the detail (one finding: the same answer as `field_error`)."""
    field, message, code = findings[0]
    errors: dict[str, list[str]] = {}
    for name, text, _ in findings:
        errors.setdefault(name, []).append(text)
    return Unprocessable(f"{field}: {message}", code=code, errors=errors)


#: The status each kind of domain refusal (`ledger.refusals.Refusal.kind`) answers with.
DOMAIN_STATUS: dict[str, int] = {"invalid": 422, "conflict": 409}

#: What a caller catching refusals (a page showing the reason, a command printing it) must catch: then `as_problem`.
REFUSALS: tuple[type[Exception], ...] = (Problem, Refusal)


def as_problem(error: Exception) -> Problem:
    """The problem a refusal answers as: a `Problem` itself, or a domain error with its status, code and facts."""
    if isinstance(error, Problem):
        return error
    if not isinstance(error, Refusal):
        raise TypeError(f"{type(error).__name__} is not a refusal") from error
    status, detail, code, extra = DOMAIN_STATUS[error.kind], error.detail, error.code, dict(error.extra)
    problem = Problem(detail, status=status, code=code, extra=extra)
    problem.__cause__ = error
    return problem


#: Set by `ledger.web`: answers an error as an HTML page when the request came from a page, else None.
page_renderer: Callable[..., Response | None] | None = None


def problem_response(status: int, code: str, detail: str, *, errors=None, headers=None, extra=None) -> Response:
    if page_renderer is not None:
        page = page_renderer(status, code, detail, errors=errors, headers=headers)
        if page is not None:
            return page
    body: dict[str, Any] = {
        "type": f"https://returns-ledger.example/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests errors by location and field; callers want `field.sub` → [messages]."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": messages}
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_messages(value, name))
        return out
    return {prefix or "_schema": [str(messages)]}


def _webargs_errors(data: dict) -> dict[str, list[str]]:
    messages = data.get("messages") or data.get("errors") or {}
    flat: dict[str, list[str]] = {}
    for location, fields in messages.items():  # drop "json"/"query"/"files": the field name is enough
        flat.update(flatten_messages(fields) if isinstance(fields, dict) else {location: list(fields)})
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return handle_unexpected(error)
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 422:
        errors = _webargs_errors(data)
        first = next(iter(errors.items()), None)
        detail = f"{first[0]}: {first[1][0]}" if first else "the request is not valid"
        return problem_response(422, "validation_error", detail, errors=errors, headers=headers)
    if status == 400 and data.get("messages", {}).get("json") == ["Invalid JSON body."]:
        return problem_response(400, "invalid_json", "the body is not valid JSON", headers=headers)
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    code = _CODES_BY_STATUS.get(status, "http_error")
    return problem_response(status, code, error.description or HTTPStatus(status).phrase, headers=headers)


def handle_problem(problem: Problem) -> Response:
    return problem_response(
        problem.status, problem.code, problem.detail, errors=problem.errors, headers=problem.headers,
        extra=problem.extra,
    )


def handle_domain_error(error: Refusal) -> Response:
    return handle_problem(as_problem(error))


def handle_unexpected(error: BaseException) -> Response:
    original = getattr(error, "original_exception", None) or error
    log.error("unhandled_error", exc_info=original, error_type=type(original).__name__)
    return problem_response(
        500, "internal_error", "the server failed to complete the request; quote the request id when reporting it"
    )


#: The database's named constraints that a race can trip (two requests both pass the service's check, one inserts
#: first) → the code and detail the service's own check answers with, so a race reads like the check: 409, never 500.
#: Names follow `ledger.db`'s naming convention (what the migrations create on SQLite and PostgreSQL alike).
CONSTRAINT_CODES: dict[str, tuple[str, str]] = {
    "pk_parties": ("party_exists", "the party exists already"),
    "uq_bank_accounts_iban": ("iban_registered", "an IBAN in this request is registered already"),
    "uq_agreements_reference": ("agreement_exists", "an agreement with this reference exists already"),
    "uq_agreement_versions_agreement_id_number": ("conflict", "the agreement was amended meanwhile; read it again"),
    "uq_returnees_agreement_id_pseudonym": ("duplicate_returnee", "this case is already registered on the agreement"),
    "uq_invoices_payee_code_number": ("duplicate_invoice", "this invoice was received already"),
    "uq_users_email": ("user_exists", "a user with this email exists already"),
    "uq_revaluations_period_party_code": ("already_revalued", "the period is already revalued for the party"),
    "uq_reference_rates_reference_effective_from": ("rate_exists", "a rate from this day is recorded already"),
    "uq_allowance_rates_party_code_effective_from_currency": ("rate_exists",
                                                              "a rate from this day is recorded already"),
    "uq_budget_lines_fiscal_year_agreement_id_category": ("budget_line_exists", "the budget line exists already"),
    "uq_return_orders_issuing_state_decision_ref": ("duplicate_return_order",
                                                    "the issuing state recorded this decision already"),
    "uq_recognitions_return_order_id_enforcing_state": (
        "recognition_exists", "the enforcing state was already asked to recognise this order"),
    "uq_cost_claims_recognition_id": ("claim_exists", "this enforcement was claimed already"),
    "uq_journal_entries_reverses_id": ("already_reversed", "the entry was already reversed"),
    "uq_settlement_statements_period_scope": ("period_already_closed", "the period is already closed"),
    "uq_payment_approvals_batch_id_approved_by_digest": ("already_approved_by_you",
                                                         "you approved this batch already"),
}

_SQLITE_UNIQUE = re.compile(r"^UNIQUE constraint failed: (.+)$")
_SQLITE_CHECK = re.compile(r"^CHECK constraint failed: (\w+)$")


def constraint_of(error: Exception) -> str | None:
    """The name of the constraint an IntegrityError tripped: PostgreSQL names it; SQLite names a CHECK's, and a
    UNIQUE's columns (`t.a, t.b`), which name it through the tables' metadata. None for anything else."""
    original = getattr(error, "orig", None) or error
    diag = getattr(original, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None)
    message = str(original).strip()
    if found := _SQLITE_CHECK.match(message):
        return found.group(1)
    found = _SQLITE_UNIQUE.match(message)
    if not found:
        return None
    columns = [part.strip().split(".", 1) for part in found.group(1).split(",")]
    return _unique_named(columns[0][0], [column for _, column in columns])


def _unique_named(table_name: str, columns: list[str]) -> str | None:
    from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

    from ledger.db import metadata

    table = metadata.tables.get(table_name)
    for constraint in table.constraints if table is not None else ():
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) \
                and [column.name for column in constraint.columns] == columns:
            return str(constraint.name) if constraint.name else None
    return None


def integrity_problem(error: Exception) -> Problem | None:
    """The 409 a tripped unique or check constraint answers with: the named constraint's domain code, else the
    general `conflict`; None for what no race explains (a foreign key or NOT NULL: a bug, a 500)."""
    name = constraint_of(error)
    if name in CONSTRAINT_CODES:
        code, detail = CONSTRAINT_CODES[name]
        return Conflict(detail, code=code)
    if name is not None and name.startswith(("uq_", "pk_", "ck_")):
        return Conflict("the change conflicts with another one; read and retry")
    return None


def handle_integrity_error(error: Exception) -> Response:
    """A constraint tripped at a flush inside the request (the commit point answers its own the same way): the
    request's transaction is rolled back, and a race answers 409 with the code its check would have given."""
    problem = integrity_problem(error)
    if problem is None:
        return handle_unexpected(error)
    log.info("constraint_conflict", constraint=constraint_of(error), code=problem.code)
    return handle_problem(problem)


# SQLite reports passing conditions and programming errors alike as OperationalError; these are the passing ones.
_SQLITE_TRANSIENT = ("database is locked", "database or disk is full", "disk i/o error", "unable to open database",
                     "database table is locked")


def _transient(error: Exception) -> bool:
    """psycopg's OperationalError is operational by construction (connection lost, lock or statement timeout,
    disk full); SQLite's also covers "no such table", which is a bug and stays a 500."""
    original = getattr(error, "orig", None) or error
    if getattr(error, "connection_invalidated", False):
        return True
    if type(original).__module__.startswith("sqlite3"):
        return any(marker in str(original).lower() for marker in _SQLITE_TRANSIENT)
    return True


#: Seconds a client is asked to wait before retrying a write refused because the books are busy.
BOOKS_BUSY_RETRY_AFTER = 2
_SQLITE_LOCKED = ("database is locked", "database table is locked")
_PG_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout expired (or NOWAIT)


def lock_wait_expired(error: BaseException) -> bool:
    """The statement gave up waiting for a lock another transaction holds: PostgreSQL's lock_timeout, SQLite's busy
    timeout (`ledger.db`: 1 s for API requests)."""
    original = getattr(error, "orig", None) or error
    if getattr(original, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    return type(original).__module__.startswith("sqlite3") and any(
        marker in str(original).lower() for marker in _SQLITE_LOCKED)


class BooksBusy(Exception):
    """An API write found a lock it needs held by a long writer (`ledger.db.held_by_long_writer`) and did not wait
    for it: answered as an expired lock wait is, `books_busy_response`."""


def books_busy_response(_error: BaseException | None = None) -> Response:
    """A write that would have to wait for a long writer (a reconciliation run, a statement import, a month close)
    says so at once: 503 `books_busy` with Retry-After. It wrote nothing (its transaction is rolled back), so the
    same request, with the same Idempotency-Key, can simply be sent again."""
    log.info("books_busy", method=request.method, path=request.url_rule.rule if request.url_rule else None)
    return problem_response(503, "books_busy", "the books are busy with a long-running job (a reconciliation run, a "
                            "statement import or a month close); nothing was written, retry after the delay given",
                            headers={"Retry-After": str(BOOKS_BUSY_RETRY_AFTER)})


def handle_database_unavailable(error: Exception) -> Response:
    """The database cannot be reached or refused for operational reasons (restarting, connection lost, disk
    full, locked): the request did nothing (its transaction is rolled back) and a retry may succeed — 503 with
    Retry-After, not a 500. Logged as a warning with the driver's first line, never the statement's parameters.
    A lock wait that expired is `books_busy` (see `books_busy_response`)."""
    if not _transient(error):
        return handle_unexpected(error)
    if lock_wait_expired(error):
        return books_busy_response()
    original = getattr(error, "orig", None) or error
    reason = (str(original).splitlines() or [""])[0][:200]
    log.warning("database_unavailable", error_type=type(original).__name__, reason=reason)
    return problem_response(503, "unavailable", "the database is unavailable; retry shortly",
                            headers={"Retry-After": "1"})


def database_unavailable_errors() -> tuple[type[BaseException], ...]:
    """Every exception type that can mean "the database is unavailable": SQLAlchemy's wrappers, and the drivers'
    own, which code on the raw DBAPI cursor (the bulk statement import) raises unwrapped — those answered 500."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import InterfaceError, OperationalError

    return (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError,
            sqlite3.OperationalError)


def init_app(app: Flask) -> None:
    from sqlalchemy.exc import IntegrityError  # here, not at the top: contracts import this module without an ORM

    for error_type in database_unavailable_errors():
        app.register_error_handler(error_type, handle_database_unavailable)
    app.register_error_handler(Problem, handle_problem)
    app.register_error_handler(BooksBusy, books_busy_response)
    app.register_error_handler(Refusal, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
