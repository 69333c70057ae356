"""Bearer tokens, roles and the guard every view carries.

Tokens are random and high-entropy, so a SHA-256 digest is enough to store them (a slow password hash
buys nothing against guessing 256 bits); the clear token is shown once, at creation.
A view without `@requires(...)` or `@public` fails the permission test that walks the URL map.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask import g, request
from sqlalchemy import Column, DateTime, bindparam, select
from sqlmodel import Field, SQLModel

from ledger import db, ratelimit
from ledger.errors import Forbidden, Unauthorized, not_found
from ledger.timeutil import utcnow

ROLES = ("admin", "finance_officer", "auditor", "partner")
TOKEN_PREFIX = "rl_"
READ_ROLES = ROLES
STAFF = ("admin", "finance_officer", "auditor")

Row = TypeVar("Row")


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    party_code: str | None = Field(default=None, foreign_key="parties.code", max_length=2)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


@dataclass(frozen=True)
class Principal:
    """Who is acting: a token or a signed-in person. `key` scopes idempotency keys and names the actor in audit."""

    key: str
    name: str
    role: str
    party: str | None = None

    @property
    def is_partner(self) -> bool:
        return self.role == "partner"

    def ensure_visible(self, *party_codes: str | None, kind: str) -> None:
        """A partner sees only objects it is a side of; anything else does not exist for it (404, never 403), in
        the very words of a missing `kind` (`errors.not_found`)."""
        if self.is_partner and self.party not in party_codes:
            raise not_found(kind)

    def ensure_acting_for(self, party_code: str, action: str) -> None:
        """A partner may act only for its own side of an object it can see (403 on its own object); staff act for
        either side."""
        if self.is_partner and self.party != party_code:
            raise Forbidden(f"only {party_code} may {action}")

    def parties_listed(self, asked: str | None) -> set[str]:
        """The parties a list is narrowed to, each a filter of its own: a partner's party (it sees only what it is
        a side of) and the party asked for (`?party=`), which narrows a partner's list further, never ignored."""
        return {party for party in (self.party if self.is_partner else None, asked) if party}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def issue_token(session, role: str, name: str, party: str | None = None) -> str:
    """Store a new token's hash for `name` with `role` (and `party`, for partners); the token itself is returned
    once and kept nowhere."""
    token = new_token()
    session.add(ApiToken(name=name, role=role, party_code=party, token_hash=hash_token(token)))
    return token


def authenticate() -> None:
    """Before each request: the API (/api/) knows only bearer tokens, the pages only the session cookie."""
    g.principal = None
    if not request.path.startswith("/api/"):
        if request.endpoint not in PUBLIC_ENDPOINTS:  # no database read for static files and metrics
            from ledger.web.people import session_principal

            g.principal = session_principal()
        return
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _refuse(Unauthorized("the Authorization header must be 'Bearer <token>'"))
    digest = hash_token(token.strip())
    row = db.session().connection().execute(_TOKEN_LOOKUP, {"digest": digest}).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        # A revoked token answers as an unknown one: which tokens once existed is nobody's business.
        _refuse(Unauthorized("the token is not valid", code="invalid_token"))
    g.principal = Principal(key=f"token:{row.id}", name=row.name, role=row.role, party=row.party_code)


#: The token lookup, on every API request: a Core select of five columns, built once (no ORM object, identity map
#: or statement construction per request). It reads the row each time, so a revocation counts from the next
#: request on, in every worker and on every host. (A per-process cache of verified tokens would still have to
#: read a shared revocation counter on each request to stay immediate: one query either way, so there is none.)
_TOKEN_LOOKUP = select(ApiToken.__table__.c.id, ApiToken.__table__.c.name, ApiToken.__table__.c.role,
                       ApiToken.__table__.c.party_code, ApiToken.__table__.c.token_hash,
                       ApiToken.__table__.c.revoked_at).where(ApiToken.__table__.c.token_hash == bindparam("digest"))


def _refuse(error: Unauthorized) -> None:
    """A failed authentication: 429 once the client address failed too often recently, else counted and `error`.
    Only failures count and only failures are throttled: the token is looked up first, so a valid token works
    from an address that also sent bad ones (a shared gateway, one misconfigured integration beside good ones);
    a guesser of 256-bit tokens gains nothing from the lookup."""
    ratelimit.refuse_if_guessing()
    ratelimit.count_failure()
    raise error


def current() -> Principal:
    principal = g.get("principal")
    if principal is None:
        if request.path.startswith("/api/"):
            raise Unauthorized("a bearer token is required")
        raise Unauthorized("please sign in")
    return principal


def requires(*roles: str) -> Callable:
    """Guard a view: only these roles may call it (401 without a principal, 403 for another role)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            principal = current()
            if principal.role not in roles:
                raise Forbidden(f"the {principal.role} role may not do this")
            return view(*args, **kwargs)

        guarded.ledger_roles = roles  # type: ignore[attr-defined]
        return guarded

    return decorate


#: Endpoints open to anyone that are registered by libraries rather than decorated here.
PUBLIC_ENDPOINTS: set[str] = set()


def public(view: Callable) -> Callable:
    """Mark a view as deliberately open (health, the OpenAPI document)."""
    view.ledger_roles = ("public",)  # type: ignore[attr-defined]
    return view


def ensure_party_visible(*party_codes: str | None, kind: str) -> None:
    """`Principal.ensure_visible` for the request's principal (views; services take the principal)."""
    current().ensure_visible(*party_codes, kind=kind)


def party_visible(row: Row, *, kind: str) -> Row:
    """`row` (an agreement, an invoice, a match: anything between a `payer_code` and a `payee_code`) once
    `ensure_party_visible` has let the request's principal see it."""
    ensure_party_visible(row.payer_code, row.payee_code, kind=kind)
    return row


def parties_listed(asked: str | None) -> set[str]:
    """`Principal.parties_listed` for the request's principal (views; services take the principal)."""
    return current().parties_listed(asked)
