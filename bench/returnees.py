"""Load figures for returnees and accrual: one batch request of 10,000 returnees, then a year of accrual.

    python -m bench.returnees [--database-url URL] [--count 10000]

Without a URL the run uses a fresh SQLite file in a temporary directory. With a PostgreSQL URL it creates a
fresh database on that server and drops it afterwards. Targets (PostgreSQL): batch < 3 s, year < 10 s.

The batch goes through the real HTTP stack (test client: auth, validation, pseudonyms, admission against
quota and capacity, bulk insert, commit). The year is accrued twice, on two identical agreements:
month by month (2025-01 … 2025-12, each month one transaction, as `ledger accrue` runs it; each run re-prices
only what changed since the last, so a month costs what it adds), and in one catch-up run for 2025-12 that
posts the whole year at once. Every returnee is accepted in Q1 and one in ten departs in the summer.
Wall-clock and this process's CPU seconds are both shown (the database server's own CPU is not in the latter).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import date, timedelta

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

TERMS = {
    "per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 60},
    "milestones": [{"returnees": 300, "amount": "1000000.00"}, {"returnees": 5000, "amount": "2000000.00"}],
    "instalments": [{"due_on": f"2025-{m:02d}-01", "amount": "500000.00", "label": "fund"} for m in range(1, 13)],
    "advance": {"amount": "200000.00"}, "annual_quota": 50000, "capacity": 50000,
}


def _database(url: str | None) -> tuple[str, callable]:
    if url is None:
        path = os.path.join(tempfile.mkdtemp(prefix="ledger-bench-"), "ledger.sqlite3")
        return f"sqlite:///{path}", lambda: None
    if not url.startswith("postgresql"):
        return url, lambda: None
    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url.replace("postgresql://", "postgresql+psycopg://", 1)),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def run(url: str, count: int) -> None:
    from ledger import create_app, migrate
    from ledger.agreements import service
    from ledger.agreements.models import Obligation
    from ledger.auth import ApiToken, hash_token, new_token
    from ledger.db import make_engine
    from ledger.journal.models import JournalEntry

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"LEDGER_DATABASE_URL": url, "LEDGER_PSEUDONYM_KEY": "bench-" + "k" * 40,
                      "LEDGER_LOG_LEVEL": "WARNING"})
    tokens = {}
    with app.app_context():
        from ledger import db

        session = db.session()
        for role, party in (("admin", None), ("partner", "RW")):
            tokens[role] = new_token()
            if party:
                from ledger.parties.models import Party

                for code in ("GB", "RW"):
                    session.add(Party(code=code, name=code))
                session.flush()
            session.add(ApiToken(name=role, role=role, party_code=party, token_hash=hash_token(tokens[role])))
        db.commit()
    client = app.test_client()

    def post(path, body, token):
        response = client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 300, response.get_data(as_text=True)[:500]
        return response.get_json()

    batches = []
    for reference in ("BENCH-MONTHLY", "BENCH-CATCHUP"):
        agreement = post("/agreements", {"reference": reference, "kind": "return_hub", "payer": "GB",
                                         "payee": "RW", "currency": "GBP", "effective_from": "2025-01-01",
                                         "effective_to": "2029-12-31", "terms": TERMS}, tokens["admin"])
        rng = random.Random(7)
        items = []
        for n in range(count):
            transferred = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 88))
            items.append({"case_ref": f"BENCH-{n:06d}", "nationality": "ERI",
                          "transferred_on": transferred.isoformat(),
                          "accepted_on": (transferred + timedelta(days=1)).isoformat()})
        started, cpu = time.perf_counter(), time.process_time()
        result = post(f"/agreements/{agreement['id']}/returnees/batch", {"items": items}, tokens["partner"])
        batches.append((time.perf_counter() - started, time.process_time() - cpu))
        assert result["accepted"] == count, result["rejected"]

        # one in ten departs between June and August (recorded directly: this is not what is being timed)
        with app.app_context():
            from ledger import db
            from ledger.agreements.models import Returnee

            session = db.session()
            ids = [r for r, in session.execute(select(Returnee.id).where(Returnee.agreement_id == agreement["id"]))]
            for rid in rng.sample(ids, count // 10):
                returnee = session.get(Returnee, rid)
                service.add_event(session, returnee, "departed",
                                  date(2025, 6, 1) + timedelta(days=rng.randrange(90)))
            db.commit()

    def accrue(reference, period):
        with app.app_context():
            from ledger import db

            session = db.session()
            posted = service.accrue_agreement(session, service.get(session, reference), period)
            db.commit()
        return posted

    months = []
    started, cpu = time.perf_counter(), time.process_time()
    for month in range(1, 13):
        period = f"2025-{month:02d}"
        t0 = time.perf_counter()
        months.append((period, accrue("BENCH-MONTHLY", period), time.perf_counter() - t0))
    year_seconds, year_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    catchup = accrue("BENCH-CATCHUP", "2025-12")
    catchup_seconds, catchup_cpu = time.perf_counter() - started, time.process_time() - cpu
    t0 = time.perf_counter()
    again = accrue("BENCH-MONTHLY", "2025-12")
    rerun_seconds = time.perf_counter() - t0
    with app.app_context():
        from ledger import db

        session = db.session()
        obligations = session.execute(select(func.count()).select_from(Obligation)).scalar()
        entries = session.execute(select(func.count()).select_from(JournalEntry)).scalar()
        db.rollback()
    app.extensions["ledger.db"].engine.dispose()

    print(f"database: {make_url(url).get_backend_name()}")
    for wall, cpu in batches:
        print(f"batch of {count} returnees (one request): {wall:.2f} s wall, {cpu:.2f} s CPU")
    for period, posted, seconds in months:
        print(f"  accrue {period}: {posted:>6} obligations in {seconds:.2f} s")
    print(f"year of accrual, 12 monthly runs: {year_seconds:.2f} s wall, {year_cpu:.2f} s CPU")
    print(f"year of accrual, one catch-up run: {catchup} obligations in {catchup_seconds:.2f} s wall, "
          f"{catchup_cpu:.2f} s CPU")
    print(f"re-running 2025-12: {again} new obligations in {rerun_seconds:.2f} s")
    print(f"in all: {obligations} obligations, {entries} journal entries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    url, drop = _database(args.database_url)
    try:
        run(url, args.count)
    finally:
        drop()


if __name__ == "__main__":
    main()
