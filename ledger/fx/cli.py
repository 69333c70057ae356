"""`ledger fx-rates import FILE.csv`: a central bank's reference rates (the ECB's eurofxref CSV)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ledger.cli import transaction

fx_rates = AppGroup("fx-rates", help="Exchange rates for month-end revaluation.")


@fx_rates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--base", default="EUR", show_default=True, help="The currency each rate is quoted against.")
@click.option("--source", default="ECB reference rate", show_default=True, help="Recorded with every rate.")
def import_rates(file: str, base: str, source: str) -> None:
    """Import reference rates: a header `Date,USD,GBP,…`, one row per day, 1 BASE = rate of each currency."""
    from ledger.fx import service

    with open(file, encoding="utf-8-sig") as handle:
        text = handle.read()
    with transaction(f"fx_rate.import {base}") as session:
        try:
            count = service.import_reference_csv(session, text, base, source)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{count} rates imported")
