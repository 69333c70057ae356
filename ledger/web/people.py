"""People who sign in: argon2 password hashes, lockout after repeated failures, the session principal.

A failed sign-in answers the same whether the address is unknown, the password wrong or the account
locked, and takes about as long (an unknown address still pays for one argon2 verification), so the
form tells a guesser nothing about which addresses exist.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask import session as cookie
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import db
from ledger.audit.service import describe
from ledger.auth import Principal
from ledger.errors import Conflict, field_error
from ledger.timeutil import utcnow
from ledger.web.models import PEOPLE_ROLES, User

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
#: However active, a session ends this long after sign-in.
SESSION_MAX_AGE = timedelta(hours=12)

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their offset; they were stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"must be at least {MIN_PASSWORD_LENGTH} characters", "password_too_short")


def create(session: Session, email: str, role: str, password: str, party: str | None = None) -> User:
    """A person; a partner person names its party (and only a partner does)."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise field_error("email", "is not an email address")
    if role not in PEOPLE_ROLES:
        raise field_error("role", f"must be one of {', '.join(PEOPLE_ROLES)}")
    _check_party(session, role, party)
    check_password_rules(password)
    if session.execute(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict("a user with this email exists already", code="user_exists")
    user = User(email=email, role=role, party_code=party, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    describe(session, "user.create", "user", user.id, f"role {role}" + (f" for {party}" if party else ""))
    return user


def _check_party(session: Session, role: str, party: str | None) -> None:
    from ledger.parties import queries as parties

    if role == "partner" and party is None:
        raise field_error("party", "a partner person is bound to a party: name its code")
    if role != "partner" and party is not None:
        raise field_error("party", "only a partner person is bound to a party")
    if party is not None and not parties.exists(session, party):
        raise field_error("party", f"there is no party {party}")


def by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def is_locked(user: User, now: datetime | None = None) -> bool:
    until = _aware(user.locked_until)
    return until is not None and until > (now or utcnow())


@dataclass(frozen=True)
class SignIn:
    user: User | None  # set only when the sign-in succeeded


def sign_in(session: Session, email: str, password: str) -> SignIn:
    """Check a password; count the failure or reset the count. The caller commits either way."""
    user = by_email(session, email)
    if user is None or user.disabled_at is not None:
        _verify(_dummy_hash(), password)
        describe(session, "user.sign_in_failed", "user", user.id if user else "", "unknown or disabled account")
        return SignIn(None)
    now = utcnow()
    if is_locked(user, now):
        _verify(_dummy_hash(), password)
        describe(session, "user.sign_in_failed", "user", user.id, "account locked")
        return SignIn(None)
    if not _verify(user.password_hash, password):
        user.failed_attempts += 1
        summary = f"failure {user.failed_attempts}"
        if user.failed_attempts >= MAX_FAILURES:
            user.locked_until, user.failed_attempts = now + LOCKOUT, 0
            summary += f": locked for {int(LOCKOUT.total_seconds() // 60)} minutes"
        session.flush()
        describe(session, "user.sign_in_failed", "user", user.id, summary)
        return SignIn(None)
    user.failed_attempts, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    describe(session, "user.sign_in", "user", user.id)
    return SignIn(user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def unlock(session: Session, user: User) -> None:
    user.failed_attempts, user.locked_until = 0, None
    session.flush()
    describe(session, "user.unlock", "user", user.id)


def set_password(session: Session, user: User, password: str) -> None:
    check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    user.session_epoch += 1  # a new password ends the sessions opened with the old one
    session.flush()
    describe(session, "user.set_password", "user", user.id)


# ---- the session cookie --------------------------------------------------------------------------------

def start_session(user: User) -> None:
    """A fresh cookie on sign-in: nothing from before (a planted session) carries over, the CSRF token included."""
    cookie.clear()
    cookie["uid"] = user.id
    cookie["epoch"] = user.session_epoch
    cookie["since"] = utcnow().isoformat()
    cookie["csrf"] = secrets.token_urlsafe(32)


def end_session(session: Session, user_id: int | None) -> None:
    """Sign-out: forget the cookie and make any copy of it worthless."""
    cookie.clear()
    user = session.get(User, user_id) if user_id else None
    if user is not None:
        user.session_epoch += 1
        session.flush()
        describe(session, "user.sign_out", "user", user.id)


def session_principal() -> Principal | None:
    """The signed-in person behind this request's cookie, or None (an ended or stale session is cleared)."""
    uid = cookie.get("uid")
    if uid is None:
        return None
    user = db.session().get(User, uid)
    if user is None or not _session_valid(user):
        cookie.clear()
        return None
    return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(key=f"user:{user.id}", name=user.email, role=user.role, party=user.party_code)


def _session_valid(user: User) -> bool:
    if user.disabled_at is not None or cookie.get("epoch") != user.session_epoch:
        return False
    try:
        since = datetime.fromisoformat(cookie.get("since", ""))
    except ValueError:
        return False
    max_age = current_app.config.get("LEDGER_SESSION_MAX_AGE", SESSION_MAX_AGE)
    return utcnow() - since < max_age
