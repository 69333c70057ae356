"""`ledger reconcile [--dry-run] [--json]`: the same run as `POST /reconciliation/runs`, in one transaction."""

import getpass

import click
from flask.cli import with_appcontext

from ledger.cli import emit_json, progress, transaction

STEPS = ("loaded", "matched", "posted", "stored")


@click.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Match and count, but store no matches and post nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's JSON answer on stdout.")
@with_appcontext
def reconcile(dry_run: bool, as_json: bool) -> None:
    """Match open transfers to open invoices; auto matches are posted, proposals wait for review."""
    from contracts.reconciliation import RunSchema
    from ledger.reconciliation import service

    with transaction("reconciliation.run") as session, \
            progress(STEPS, length=len(STEPS), label="reconciling") as bar:
        record = service.run(session, f"cli:{getpass.getuser()}", dry_run=dry_run,
                             on_step=lambda _name: bar.update(1))
        answer = RunSchema().dump(record)
    if as_json:
        emit_json(answer)
    else:
        click.echo(f"run {answer['id']}{' (dry run)' if dry_run else ''}: {answer['auto_matched']} auto matched, "
                   f"{answer['proposed']} proposed, {answer['unmatched_transfers']} transfers unmatched, "
                   f"{answer['open_invoices']} invoices open")
