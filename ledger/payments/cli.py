"""`ledger payments propose|approve|release|export`: the same services as the API, one transaction each.

The officer is the operating-system user (`cli:<user>`): four eyes hold on the command line too, so the
approver must be another user than the one who proposed."""

import getpass
from datetime import date
from decimal import Decimal

import click
from flask import current_app
from flask.cli import AppGroup

from ledger.cli import emit_json, transaction

payments = AppGroup("payments", help="Payment batches to partners (pain.001) with four eyes.")


def _principal():
    from ledger.auth import Principal

    user = getpass.getuser()
    return Principal(key=f"cli:{user}", name=user, role="finance_officer")


def _second_above() -> Decimal:
    return Decimal(str(current_app.config.get("LEDGER_PAYMENTS_SECOND_APPROVAL_ABOVE", "100000.00")))


def _echo(view: dict, as_json: bool) -> None:
    if as_json:
        emit_json(view)
    else:
        click.echo(f"batch {view['id']} {view['status']}: {view['total']} {view['currency']} from "
                   f"{view['debtor_account']}, {len(view.get('items', []))} transfers, "
                   f"{len([a for a in view['approvals'] if a['current']])}/{view['approvals_required']} approvals, "
                   f"digest {view['digest']}")


@payments.command("propose")
@click.option("--debtor-account", required=True, help="The paying bank account (IBAN).")
@click.option("--due-by", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--execution-date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--json", "as_json", is_flag=True)
def propose_command(debtor_account: str, due_by, execution_date, as_json: bool) -> None:
    """Propose a batch of what is due by a date from one bank account."""
    from contracts.payments import PaymentBatchSchema
    from ledger.payments import service

    with transaction("payment_batch.propose") as session:
        batch = service.propose(session, debtor_account=debtor_account, due_by=date.fromisoformat(str(due_by.date())),
                                execution_date=execution_date.date(), principal=_principal(),
                                second_above=_second_above())
        view = PaymentBatchSchema().dump(service.view(session, batch))
    _echo(view, as_json)


@payments.command("approve")
@click.argument("batch_id", type=int)
@click.option("--digest", required=True, help="The digest of the batch as you checked it.")
@click.option("--json", "as_json", is_flag=True)
def approve_command(batch_id: int, digest: str, as_json: bool) -> None:
    """Approve a batch as a second officer (never the one who proposed it)."""
    from contracts.payments import PaymentBatchSchema
    from ledger.payments import service

    with transaction("payment_batch.approve") as session:
        batch = service.approve(session, batch_id, digest, _principal())
        view = PaymentBatchSchema().dump(service.view(session, batch))
    _echo(view, as_json)


@payments.command("release")
@click.argument("batch_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def release_command(batch_id: int, as_json: bool) -> None:
    """Release an approved batch: the pain.001 is frozen and its transfers are in transit."""
    from contracts.payments import PaymentBatchSchema
    from ledger.payments import service

    with transaction("payment_batch.release") as session:
        batch = service.release(session, batch_id, _principal())
        view = PaymentBatchSchema().dump(service.view(session, batch))
    _echo(view, as_json)


@payments.command("export")
@click.argument("batch_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def export_command(batch_id: int, output: str) -> None:
    """Write a released batch's pain.001 file."""
    from ledger.payments import service

    with transaction("payment_batch.export") as session:
        batch, document = service.document(session, batch_id)
    with open(output, "wb") as handle:
        handle.write(document)
    click.echo(f"{batch.message_id} written to {output}", err=True)
