from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.db import moment_now, moment_unset

#: People sign in to the pages; a partner person is bound to its party (like a partner's API token) and sees
#: only its own agreements' statements.
PEOPLE_ROLES = ("admin", "finance_officer", "auditor", "partner")


class User(SQLModel, table=True):
    """A person who signs in to the pages: an argon2 password hash, never the password.

    `session_epoch` is copied into the session cookie at sign-in; bumping it (sign-out) ends every session
    that person holds, so a copied cookie stops working once its owner signs out.
    """

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("email", name="uq_users_email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)
    party_code: str | None = Field(default=None, foreign_key="parties.code", max_length=2)
    password_hash: str = Field(max_length=200)
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = moment_unset()
    session_epoch: int = Field(default=0)
    created_at: datetime = moment_now()
    disabled_at: datetime | None = moment_unset()
