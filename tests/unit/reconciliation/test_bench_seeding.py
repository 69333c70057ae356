"""bench.reconcile's seeding into a database in use (what `bench.load --busy` does once per run): the parties there
are left alone, a second round's rows follow the first's, and the service's own inserts still get fresh ids."""

from sqlalchemy import func, select, text

from bench.reconcile import load
from bench.reconcile_gen import generate
from ledger.invoices.models import Invoice
from ledger.parties.models import Party
from ledger.reconciliation import service
from ledger.statements.models import Transfer


def _copy_without_id(conn, table: str, changed: str) -> int:
    """Insert a copy of the table's first row as the service would (no id given), `changed` made unique; its id."""
    columns = [c.name for c in (Invoice if table == "invoices" else Transfer).__table__.columns
               if c.name not in ("id", changed)]
    listed = ", ".join(columns)
    conn.execute(text(f"INSERT INTO {table} ({listed}, {changed}) SELECT {listed}, {changed} || '-copy' "
                      f"FROM {table} WHERE id = (SELECT min(id) FROM {table})"))
    return conn.execute(text(f"SELECT id FROM {table} WHERE {changed} LIKE '%-copy'")).scalar_one()


def test_a_second_round_seeds_beside_the_first_and_the_services_inserts_get_fresh_ids(committed_app):
    url = committed_app.config["LEDGER_DATABASE_URL"]
    first, second = generate(200, 0), generate(200, 1)
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        s.add_all([Party(code="AA", name="Republic AA"), Party(code="XA", name="Republic XA")])  # codes load uses
        s.commit()
        s.close()
    load(url, first)
    load(url, second)
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        assert s.execute(select(func.count()).select_from(Invoice)).scalar() == \
            len(first.invoices) + len(second.invoices)
        assert s.execute(select(func.count()).select_from(Transfer)).scalar() == \
            len(first.transfers) + len(second.transfers)
        assert s.get(Party, "AA").name == "Republic AA" and s.get(Party, "XA").name == "Republic XA"
        highest = {name: s.execute(select(func.max(model.id))).scalar()
                   for name, model in (("invoices", Invoice), ("transfers", Transfer))}
        conn = s.connection()
        assert _copy_without_id(conn, "invoices", "number") > highest["invoices"]
        assert _copy_without_id(conn, "transfers", "fingerprint") > highest["transfers"]
        s.rollback()
        record = service.run(s, "test")  # both rounds are open to one run: each round's transfers pay its invoices
        s.commit()
        assert record.auto_matched >= 0.75 * (len(first.invoices) + len(second.invoices))  # the mix: ~84 % auto
        s.close()
