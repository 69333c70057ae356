"""`ledger statements import FILE [--json]`: the same import as `POST /statements`, in one transaction."""

import getpass
import os

import click
from flask.cli import AppGroup

from ledger.cli import emit_json, progress, transaction

statements = AppGroup("statements", help="Bank statements (camt.052/.053/.054, MT940, CSV).")


@statements.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--json", "as_json", is_flag=True, help="Print the import's JSON summary on stdout.")
@click.option("--currency", default=None, help="Currency for MT940 exports that state none (no balance lines).")
def import_command(path: str, as_json: bool, currency: str | None) -> None:
    """Import a statement file; entries imported before are counted as duplicates, not stored again."""
    from contracts.statements import StatementDetailSchema
    from ledger.statements import service

    size = os.path.getsize(path)
    with transaction("statement.import") as session, open(path, "rb") as stream, \
            progress(range(size), length=size, label="importing") as bar:
        record = service.import_statement(session, stream, actor=f"cli:{getpass.getuser()}",
                                         default_currency=currency, on_progress=bar.update)
        answer = StatementDetailSchema().dump(service.view(session, record, detail=True))
    if as_json:
        emit_json(answer)
    else:
        click.echo(f"statement {answer['id']} ({answer['format']}): {answer['entries']} entries, "
                   f"{answer['imported']} imported, {answer['duplicates']} duplicates, "
                   f"balance check {answer['balance_check']}"
                   + (f"; flags: {', '.join(answer['flags'])}" if answer["flags"] else ""))
