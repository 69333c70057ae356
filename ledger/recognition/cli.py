"""`ledger claims …`: the EU compensation claims from the command line."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from ledger import db
from ledger.cli import emit_json
from ledger.timeutil import today

claims = AppGroup("claims", help="EU compensation claims between member states.")


@claims.command("overdue")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Day to judge on (default: today).")
@click.option("--state", default=None, help="Only claims where this member state is a side.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def overdue(as_of, state: str | None, as_json: bool) -> None:
    """Overdue decisions and payments, most overdue first, for both sides."""
    from ledger.recognition.service import overdue_items

    day: date = as_of.date() if as_of else today()
    items = overdue_items(db.session(), day, state)
    if as_json:
        emit_json({"as_of": day.isoformat(), "items": [
            {"claim": int(i.claim_id), "issuing_state": i.issuing_state, "enforcing_state": i.enforcing_state,
             "overdue": i.kind.value, "due_on": i.due_on.isoformat(), "days_overdue": i.days_overdue}
            for i in items]})
        return
    if not items:
        click.echo(f"no overdue claims on {day.isoformat()}")
    for i in items:
        click.echo(f"claim {i.claim_id}\t{i.issuing_state} owes {i.enforcing_state}\t{i.kind.value} due "
                   f"{i.due_on.isoformat()}\t{i.days_overdue} days overdue")
