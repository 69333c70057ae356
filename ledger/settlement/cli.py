import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ledger.cli import transaction

settle = AppGroup("settle", help="Monthly settlement.")


@settle.command("close")
@click.argument("period")
def close_command(period: str) -> None:
    """Close PERIOD (YYYY-MM): lock the journal, freeze and sign the statements."""
    from ledger.settlement import service

    with transaction("settlement.close") as session:
        service.check_period(period)
        frozen = service.close(session, period, service.signing_key(current_app.config))
    for row in frozen:
        click.echo(f"{row.scope}\t{row.digest}")
    click.echo(f"{period} closed: {len(frozen)} statements signed")


@click.command("report")
@click.argument("period")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx", "pdf"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option("--party", default=None, help="Only this party's section: the agreements it is a side of.")
@click.option("--agreement", type=int, default=None)
def report_command(period: str, fmt: str, output: str, party: str | None, agreement: int | None) -> None:
    """Write the settlement report of PERIOD (csv: a zip of CSV files with the signed statement)."""
    from ledger import db
    from ledger.errors import Problem
    from ledger.settlement import service

    try:
        service.check_period(period)
        body = service.render(db.session(), period, fmt, party, agreement, service.signing_key(current_app.config),
                              focus=party is not None)
    except Problem as problem:
        raise click.ClickException(problem.detail) from None
    Path(output).write_bytes(body)
    click.echo(f"{fmt} report of {period} written to {output}", err=True)


@click.command("verify-statement")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--public-key", "public_key", required=True,
              help="GET /signing-key's answer saved as JSON (every key, current and retired), or one key: "
                   "base64, PEM text, or a file holding either.")
def verify_statement(file: str, public_key: str) -> None:
    """Check a downloaded statement's digest and Ed25519 signature, offline, with the key it names."""
    from ledger.settlement import signing

    text = Path(public_key).read_text() if Path(public_key).is_file() else public_key
    try:
        key_set = signing.load_key_set(text)
        document = signing.parse_document(Path(file).read_bytes())
    except signing.SigningKeyError as error:
        raise click.ClickException(str(error)) from None
    documents = document.get("documents", [document]) if isinstance(document, dict) else []
    problems = ([p for doc in documents for p in signing.verify_with_set(doc, key_set)] if documents
                else ["no statement found"])
    if problems:
        click.echo("statement does NOT verify: " + "; ".join(problems), err=True)
        sys.exit(1)
    for doc in documents:
        click.echo(f"ok: {doc['statement'].get('scope')} of {doc['statement'].get('period')}, digest {doc['digest']}")
