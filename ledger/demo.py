"""`ledger demo`: seed a living ledger so a newcomer has something to look at.

Each feature adds its part through `ledger.features.demo_seeders()`; this command only orchestrates and
prints the credentials, so it never drifts from what the features really do.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ledger import db
from ledger.auth import issue_token
from ledger.cli import transaction
from ledger.parties.models import BankAccount, Party

PARTIES = [
    ("GB", "United Kingdom", "GB33BUKB20201555555555", "GBP"),
    ("AL", "Albania", "AL35202111090000000001234567", "GBP"),
    ("RW", "Rwanda", None, "GBP"),
    ("DE", "Germany", "DE89370400440532013000", "EUR"),
    ("FR", "France", "FR1420041010050500013M02606", "EUR"),
    ("IT", "Italy", "IT60X0542811101000000123456", "EUR"),
]


#: The UK's fiscal year starts on 1 April; Italy's is the calendar year. Both revalue into their own currency.
FISCAL = {"GB": {"fiscal_year_start_month": 4, "reporting_currency": "GBP"}, "IT": {"reporting_currency": "EUR"}}


def _seed_parties(session) -> None:
    for code, name, iban, currency in PARTIES:
        session.add(Party(code=code, name=name, contact_point=f"treasury@{code.lower()}.example",
                          **FISCAL.get(code, {})))
        session.flush()
        if iban:
            session.add(BankAccount(party_code=code, iban=iban, currency=currency))


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the ledger already has parties.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Seed demo parties, tokens and each feature's demo data."""
    from flask import current_app

    from ledger.features import demo_seeders

    # Demo tokens with known roles and made-up parties have no place in the system of record.
    if current_app.config["LEDGER_ENV"] == "production":
        raise click.ClickException("ledger demo refuses to run with LEDGER_ENV=production")
    if db.session().execute(select(func.count()).select_from(Party)).scalar():
        if if_empty:
            click.echo("ledger has data already: demo not seeded")
            return
        raise click.ClickException("the ledger is not empty; demo data goes only into an empty ledger")
    credentials = []
    with transaction("demo.seed") as session:
        _seed_parties(session)
        for role, name, party in (("admin", "demo admin", None), ("finance_officer", "demo officer", None),
                                  ("auditor", "demo auditor", None), ("partner", "demo Albania", "AL"),
                                  ("partner", "demo Germany", "DE")):
            credentials.append((name, issue_token(session, role, name, party)))
        for seed in demo_seeders():
            credentials.extend(seed(session) or [])
    click.echo("Demo ledger seeded. Credentials (shown once):")
    for name, secret in credentials:
        click.echo(f"  {name:<22} {secret}")
