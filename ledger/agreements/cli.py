"""`ledger accrue PERIOD` and `ledger returnees erase --before DATE`."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup, with_appcontext

from ledger.cli import emit_json, progress, transaction

returnees_cli = AppGroup("returnees", help="Returnees: retention and erasure.")


@click.command("accrue")
@click.argument("period")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def accrue(period: str, as_json: bool) -> None:
    """Post what every agreement makes payable up to PERIOD (YYYY-MM); running it twice posts nothing new."""
    import getpass

    from ledger.agreements import service
    from ledger.auth import Principal

    principal = Principal(key=f"cli:{getpass.getuser()}", name=getpass.getuser(), role="finance_officer")
    with transaction(f"obligations.accrue {period}") as session:
        service.check_accruable(period)
        agreements = service.all_agreements(session)
        counts = {}
        with progress(agreements, len(agreements), f"accruing {period}") as bar:
            for agreement in bar:
                counts[agreement.reference] = service.accrue_agreement(session, agreement, period, principal)
    if as_json:
        emit_json({"period": period, "posted": counts})
        return
    for reference, count in counts.items():
        click.echo(f"{reference:<30} {count:>8} obligations posted")
    click.echo(f"{len(counts)} agreements, {sum(counts.values())} obligations posted for {period}")


@returnees_cli.command("erase")
@click.option("--before", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Erase the pseudonym of returnees whose retention ended before this date.")
@with_appcontext
def erase(before) -> None:
    """Remove the pseudonym link of returnees past retention; ids and money stay."""
    from ledger.agreements import service

    day: date = before.date()
    with transaction("returnee.erase") as session:
        counts = service.erase(session, day)
    click.echo(f"{counts['returnees']} returnees and {counts['return_orders']} return orders erased, "
               f"{counts['invoice_documents']} stored invoice documents and {counts['stored_answers']} stored "
               f"answers redacted "
               f"(retention ended before {day.isoformat()})")
