"""The `ledger` command: a Flask CLI over the same app and services as the API.

Every command that changes state runs in one transaction with its own audit record, and any failure
ends the command with a one-line reason and a non-zero exit.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import db
from ledger.errors import REFUSALS, as_problem
from ledger.timeutil import utcnow

db_cli = AppGroup("db", help="Database schema.")
tokens_cli = AppGroup("tokens", help="API tokens.")
audit_cli = AppGroup("audit", help="The audit log and the journal's integrity.")
idempotency_cli = AppGroup("idempotency", help="Stored answers to Idempotency-Key retries.")


@contextmanager
def transaction(action: str) -> Iterator[Session]:
    """A command's unit of work: its changes and their audit record commit together, or nothing does."""
    from ledger.audit import service as audit

    try:
        with db.unit_of_work() as session:
            yield session
            audit.flush_notes(session, f"cli:{getpass.getuser()}", f"cli-{uuid.uuid4().hex[:16]}", action)
    except REFUSALS as refusal:
        raise click.ClickException(as_problem(refusal).detail) from None


def emit_json(payload: dict) -> None:
    click.echo(json.dumps(payload, sort_keys=True, default=str))


def progress(iterable, length: int, label: str):
    """A progress bar on a terminal; silent when output goes to a file or a pipe."""
    return click.progressbar(iterable, length=length, label=label, file=sys.stderr,
                             hidden=not sys.stderr.isatty())


# ---- db ----------------------------------------------------------------------------------------------

@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database to the latest schema."""
    from ledger import migrate

    try:
        migrate.upgrade(db.database().engine, revision)
    except migrate.MissingMigrations as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"database at {revision}")


@db_cli.command("check")
def db_check() -> None:
    """Fail when the models and the migrated schema disagree."""
    from ledger import migrate

    differences = migrate.drift(db.database().engine)
    if differences:
        raise click.ClickException(f"models and migrations disagree: {differences}")
    click.echo("models and migrations agree")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """(Developers) autogenerate a migration from the models."""
    from ledger import migrate

    migrate.revision(db.database().engine, message)


# ---- tokens ------------------------------------------------------------------------------------------

@tokens_cli.command("create")
@click.option("--role", required=True, type=click.Choice(["admin", "finance_officer", "auditor", "partner"]))
@click.option("--party", default=None, help="Party code; required for partner tokens.")
@click.option("--name", required=True)
def tokens_create(role: str, party: str | None, name: str) -> None:
    """Create a token; it is printed once, alone on the last line."""
    from ledger.audit.service import describe
    from ledger.auth import ApiToken, hash_token, new_token
    from ledger.parties.queries import exists as party_exists

    if (role == "partner") != (party is not None):
        raise click.ClickException("--party is required for partner tokens and only for them")
    token = new_token()
    with transaction("token.create") as session:
        if party and not party_exists(session, party):
            raise click.ClickException(f"no party {party}")
        row = ApiToken(name=name, role=role, party_code=party, token_hash=hash_token(token))
        session.add(row)
        session.flush()
        describe(session, "token.create", "token", row.id, f"role {role}")
    click.echo(f"token {row.id} for {name} ({role}{', ' + party if party else ''}):")
    click.echo(token)


@tokens_cli.command("list")
def tokens_list() -> None:
    """List tokens (never their secrets)."""
    from ledger.auth import ApiToken

    for row in db.session().execute(select(ApiToken).order_by(ApiToken.id)).scalars():
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.role}\t{row.party_code or '-'}\t{state}\t{row.name}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    from ledger.audit.service import describe
    from ledger.auth import ApiToken

    with transaction("token.revoke") as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise click.ClickException(f"no token {token_id}")
        row.revoked_at = row.revoked_at or utcnow()
        describe(session, "token.revoke", "token", token_id)
    click.echo(f"token {token_id} revoked")


# ---- audit -------------------------------------------------------------------------------------------

@audit_cli.command("verify")
def audit_verify() -> None:
    """Verify the audit log's and the journal's hash chains; non-zero naming the first bad record."""
    from ledger.features import chain_verifiers

    failed = False
    # a read-only snapshot: it neither waits for SQLite's write lock nor keeps writers waiting while it hashes
    with closing(db.database().read_session()) as session:
        for name, verify in chain_verifiers():
            problem = verify(session)
            if problem is None:
                click.echo(f"{name}: intact")
            else:
                failed = True
                click.echo(f"{name}: broken at record {problem.seq}: {problem.reason}", err=True)
    if failed:
        sys.exit(1)


# ---- idempotency -------------------------------------------------------------------------------------

@idempotency_cli.command("purge")
@click.option("--older-than", "days", type=int, default=30, show_default=True,
              help="Days a key is kept; API.md promises at least 30, so fewer is refused.")
def idempotency_purge(days: int) -> None:
    """Delete Idempotency-Key rows older than --older-than days (run it daily: the table grows with every POST)."""
    from datetime import timedelta

    from ledger import idempotency
    from ledger.audit.service import describe

    if days < idempotency.KEPT_DAYS:
        raise click.ClickException(
            f"--older-than must be at least {idempotency.KEPT_DAYS} days (API.md keeps keys that long)")
    before = utcnow() - timedelta(days=days)
    with transaction("idempotency.purge") as session:
        purged = idempotency.purge(session, before)
        describe(session, "idempotency.purge", "idempotency_keys", before.date().isoformat(), f"{purged} keys purged")
    click.echo(f"{purged} idempotency keys created before {before.isoformat()} purged")


def _groups() -> list:
    from ledger.features import cli_groups

    return [db_cli, tokens_cli, audit_cli, idempotency_cli, *cli_groups()]


def register(app: Flask) -> None:
    for group in _groups():
        app.cli.add_command(group)


_COMMAND = "ledger.command"  # ScriptInfo.data: the name of the command asked for


class _LedgerGroup(FlaskGroup):
    """Remembers which command was asked for before the app is created for it (`_create_app`)."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        ctx.ensure_object(ScriptInfo).data.setdefault(_COMMAND, name)
        return super().get_command(ctx, name)


def _create_app() -> Flask:
    """The app, or a one-line reason on stderr and exit status 2 when the configuration is unusable.

    The ledger's own commands get the app without its HTTP layer (`create_app(http=False)`): an import or a
    month close has no use for the API's blueprints, the OpenAPI document or the pages, and building them is
    most of the start-up. Everything else — Flask's `run`, `shell` and `routes`, the plugins' commands,
    flask-smorest's `openapi`, and `--help`, which lists them all — gets the whole app."""
    from ledger import create_app
    from ledger.config import ConfigError

    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context else None
    command = info.data.get(_COMMAND) if info else None
    own = command in {group.name for group in _groups()}
    try:
        app = create_app(http=not own)
    except ConfigError as error:
        click.echo(f"ledger: configuration error: {error}", err=True)
        sys.exit(2)
    if own:
        yield_cpu(app.config["LEDGER_BATCH_NICENESS"])
    return app


#: Linux's scheduling group of this process's session (an autogroup): reads "/autogroup-N nice K", takes a niceness.
AUTOGROUP = "/proc/self/autogroup"


def yield_cpu(niceness: int) -> None:
    """Lower this process's CPU priority to at least `niceness`: the ledger's commands are the back office's
    long work (a million-entry import, a reconciliation run, a month close), and on a host they share with the
    API's workers the partners' requests should not queue behind them for the CPU. They still get all the CPU
    nobody else wants; a process can always lower its own priority, and one already lower stays so.

    Niceness orders the processes of one scheduling group. On Linux each session is a group of its own
    (autogroup) and the API's workers, started by a service manager or in a session of their own, are in
    another, where the command's niceness does not reach: against them only its group's niceness counts. So a
    command that leads its own session (as cron, `setsid` or a job runner start it) lowers its group's too: all
    in that session is the command and its children. Started from an operator's shell it leaves the shell's
    group alone. Where the commands run in another container or systemd unit than the API (a cgroup, which
    autogroups give way to), give that one a lower CPU weight instead (README, `LEDGER_BATCH_NICENESS`)."""
    if not niceness or not hasattr(os, "setpriority"):
        return
    if os.getpriority(os.PRIO_PROCESS, 0) < niceness:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    if os.getsid(0) == os.getpid():
        lower_group(niceness)


def lower_group(niceness: int, autogroup: str = AUTOGROUP) -> None:
    """Lower the niceness of this session's scheduling group (`autogroup`) to at least `niceness`; nothing where
    there is none (not Linux, autogroups off) or it may not be changed: the process's own niceness still holds."""
    try:
        with open(autogroup) as handle:
            current = int(handle.read().split()[-1])
        if current < niceness:
            with open(autogroup, "w") as handle:
                handle.write(str(niceness))
    except (OSError, ValueError, IndexError):
        return


def commands() -> FlaskGroup:
    """The `ledger` command group."""
    return _LedgerGroup(create_app=_create_app, add_default_commands=True, set_debug_flag=False,
                        load_dotenv=False, help="Returns Ledger: the system of record for returns agreements.")


def main() -> None:
    commands().main(prog_name="ledger")
