"""`ledger users ...`: the people who sign in to the pages."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ledger import db
from ledger.cli import transaction
from ledger.web import people
from ledger.web.models import PEOPLE_ROLES, User

PASSWORD_ENV = "LEDGER_USER_PASSWORD"

users = AppGroup("users", help="People who sign in to the web pages.")


def _password() -> str:
    """From LEDGER_USER_PASSWORD (scripts) or asked twice on the terminal; never an option (shell history)."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(PEOPLE_ROLES))
@click.option("--party", default=None, help="The party a partner person acts for (its code); partners only.")
def users_create(email: str, role: str, party: str | None) -> None:
    """Create a person; the password comes from $LEDGER_USER_PASSWORD or a prompt."""
    password = _password()
    with transaction("user.create") as session:
        user = people.create(session, email, role, password, party)
    click.echo(f"user {user.id} {user.email} ({role}{' for ' + party if party else ''}) created")


@users.command("list")
def users_list() -> None:
    """List people (never their password hashes)."""
    for user in db.session().execute(select(User).order_by(User.id)).scalars():
        state = "disabled" if user.disabled_at else ("locked" if people.is_locked(user) else "active")
        click.echo(f"{user.id}\t{user.role}{':' + user.party_code if user.party_code else ''}\t{state}\t{user.email}")


def _user(session, email: str) -> User:
    user = people.by_email(session, email)
    if user is None:
        raise click.ClickException(f"no user {people.normalise_email(email)}")
    return user


@users.command("unlock")
@click.argument("email")
def users_unlock(email: str) -> None:
    """Lift a lockout after repeated failed sign-ins."""
    with transaction("user.unlock") as session:
        people.unlock(session, _user(session, email))
    click.echo(f"{people.normalise_email(email)} unlocked")


@users.command("set-password")
@click.argument("email")
def users_set_password(email: str) -> None:
    """Replace a password (from $LEDGER_USER_PASSWORD or a prompt); ends that person's sessions."""
    password = _password()
    with transaction("user.set_password") as session:
        people.set_password(session, _user(session, email), password)
    click.echo(f"password of {people.normalise_email(email)} replaced")
