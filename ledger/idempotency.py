"""`Idempotency-Key` on every POST, as API.md says.

The key row is written in the request's own transaction, so it commits with the effect or not at all:
a crash (even kill -9) mid-request leaves no key behind and the client's retry simply runs again.
While the first request is in flight its uncommitted row blocks a second insert of the same key;
PostgreSQL gives up after a short lock timeout (409), SQLite queues the second writer until the first
commits and then replays. Errors below 500 are stored too, so a key is never reused for another body.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from datetime import datetime

from flask import Response, current_app, g, request
from sqlalchemy import Column, DateTime, Text, UniqueConstraint, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Field, SQLModel

from ledger import db
from ledger.errors import Conflict, Unprocessable
from ledger.pseudonyms import redact
from ledger.timeutil import utcnow

HEADER = "Idempotency-Key"
KEPT_DAYS = 30  # API.md: a key is kept at least this long, so a client may retry within it
REPLAYED = "Idempotent-Replayed"
_KEPT_HEADERS = ("Content-Type", "Location", "ETag")


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=100)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int | None = Field(default=None)
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    response_headers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


def _request_hash() -> str:
    """A keyed digest of the request: bodies may hold case references, so a plain hash could be guessed back."""
    digest = hmac.new(current_app.config["LEDGER_FINGERPRINT_KEY"].encode(), digestmod=hashlib.sha256)
    digest.update(f"{request.method} {request.path}?{request.query_string.decode()}\n".encode())
    if request.mimetype == "multipart/form-data":
        # The boundary changes on every send; the parts are what the client means.
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"form:{name}={value}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            content = hashlib.sha256()
            for chunk in iter(lambda stream=upload.stream: stream.read(1 << 20), b""):  # bounded memory
                content.update(chunk)
            upload.stream.seek(0)
            digest.update(f"file:{name}={content.hexdigest()}\n".encode())
    else:
        body = request.get_data(cache=True)
        with contextlib.suppress(ValueError):  # JSON that differs only in spacing or key order is the same request
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        digest.update(body)
    return digest.hexdigest()


def _replay(row) -> Response:
    response = Response(row.response_body or "", status=row.status_code)
    for name, value in json.loads(row.response_headers or "{}").items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def _existing(principal: str, key: str):
    """The key's stored request hash and answer (a row), or None."""
    return db.session().execute(_EXISTING, {"principal": principal, "key": key}).one_or_none()


def _answer_existing(row, request_hash: str) -> Response:
    if row.request_hash != request_hash:
        raise Unprocessable(
            "this Idempotency-Key was used with a different request", code="idempotency_key_reused"
        )
    if row.status_code is None:
        raise Conflict("a request with this Idempotency-Key is still in progress", code="idempotency_in_flight")
    return _replay(row)


def begin() -> Response | None:
    """Before the view: replay, refuse, or claim the key for this request."""
    key = request.headers.get(HEADER)
    principal = g.get("principal")
    if request.method != "POST" or not key or principal is None:
        return None
    if len(key) > 255:
        raise Unprocessable("Idempotency-Key is at most 255 characters", code="validation_error")
    if not key.isprintable():  # control characters (NUL, CR, LF) cannot be stored by PostgreSQL or be a key
        raise Unprocessable("Idempotency-Key must be printable characters", code="validation_error")
    request_hash = _request_hash()
    # Claimed first, read only when that fails: a new key (nearly every keyed POST) costs the one statement, a
    # retry two. A write request holds SQLite's write lock from its BEGIN already, so the claim queues no replay.
    claimed = _claim(principal.key, key, request_hash)
    if claimed is None:  # a committed request holds the key: it answered already, or while we waited
        return _answer_existing(_existing(principal.key, key), request_hash)
    g.idempotency = (claimed, principal.key, key, request_hash)
    return None


def _claim(principal: str, key: str, request_hash: str) -> int | None:
    """Insert the key's row; its id, or None when a committed row holds the key already.

    One `INSERT … ON CONFLICT DO NOTHING` (no savepoint to catch a unique violation). On PostgreSQL a row of the same
    key not yet committed makes the insert wait for that transaction: at most 1–2 s (`lock_timeout`), then 409
    in flight; if that transaction commits, nothing is inserted and the caller replays it."""
    session = db.session()
    values = {"principal": principal, "key": key, "request_hash": request_hash, "created_at": utcnow()}
    if not db.is_postgres(session):
        result = session.execute(_CLAIM_SQLITE, values)
        return result.lastrowid if result.rowcount == 1 else None
    # An API request's transaction waits for any lock 1 s at most already (`db.LockRole.SHORT`); a long writer's,
    # which may wait as long as it takes, bounds this one wait to 2 s.
    bounded = db.lock_role() is not db.LockRole.SHORT
    try:
        if bounded:
            session.execute(_LOCK_TIMEOUT, {"value": "2s"})
        claimed = session.execute(_CLAIM_POSTGRESQL, values).scalar_one_or_none()
        if bounded:
            session.execute(_LOCK_TIMEOUT, {"value": "0"})
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available: the first is in flight
            raise Conflict(
                "a request with this Idempotency-Key is still in progress", code="idempotency_in_flight"
            ) from None
        raise
    return claimed


_LOCK_TIMEOUT = text("SELECT set_config('lock_timeout', :value, true)")

# The statements every keyed POST runs, built once: building a statement and its cache key cost more than running it.
_KEYS = IdempotencyKey.__table__
_EXISTING = (select(_KEYS.c.request_hash, _KEYS.c.status_code, _KEYS.c.response_body, _KEYS.c.response_headers)
             .where(_KEYS.c.principal == bindparam("principal"), _KEYS.c.key == bindparam("key")))
_CLAIM_SQLITE = sqlite_insert(_KEYS).on_conflict_do_nothing()
_CLAIM_POSTGRESQL = postgresql_insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.id)
_RECORD = update(_KEYS).where(_KEYS.c.id == bindparam("claim_id"))


def _record(response: Response) -> dict:
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    return {
        "status_code": response.status_code,
        "response_body": response.get_data(as_text=True),
        "response_headers": json.dumps(headers),
    }


def finish_success(response: Response) -> None:
    """Inside the request's transaction, before it commits."""
    claim = g.get("idempotency")
    if claim is None:
        return
    db.session().execute(_RECORD, {"claim_id": claim[0], **_record(response)})


def store_failure(response: Response) -> None:
    """After the request's transaction rolled back: remember a 4xx answer under the key (own transaction)."""
    claim = g.pop("idempotency", None)
    if claim is None or response.status_code >= 500:
        return
    _, principal, key, request_hash = claim
    session = db.session()
    try:
        session.add(IdempotencyKey(principal=principal, key=key, request_hash=request_hash, **_record(response)))
        db.commit()
    except IntegrityError:
        db.rollback()


def redact_replays(session, before, erased: set[str]) -> int:
    """Erasure step: a stored answer to replay (a returnee or a return order as created) may name an erased
    person by pseudonym; it is rewritten without it. Only answers that carry a pseudonym field are read."""
    if not erased:
        return 0
    rows = session.execute(select(IdempotencyKey.id, IdempotencyKey.response_body).where(
        IdempotencyKey.response_body.contains('"pseudonym"'))).all()
    changed = 0
    for row_id, body in rows:
        redacted = redact(body, erased)
        if redacted != body:
            session.execute(update(IdempotencyKey).where(IdempotencyKey.id == row_id).values(response_body=redacted))
            changed += 1
    return changed


def purge(session, before: datetime) -> int:
    """Retention: forget the keys created before `before`; a retry with one of them runs as a new request."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < before))
    return result.rowcount or 0
