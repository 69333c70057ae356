"""Benchmark of EU compensation claims: the API workflow per claim, then netting and the overdue list
over many claims between the 27 member states.

    python -m bench.recognition [--database-url URL] [--workflows 200] [--claims 50000]

With a PostgreSQL URL, a scratch database is created on that server and dropped afterwards; without one,
a temporary SQLite file is used. Prints its figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

EU = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
      "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"]


@contextmanager
def scratch_database(url: str | None):
    if not url:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url.replace("postgresql://", "postgresql+psycopg://", 1)),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _timed(label: str, fn, count: int | None = None):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    rate = f"  ({count / elapsed:,.0f}/s, {elapsed / count * 1000:.2f} ms each)" if count else ""
    print(f"{label:<58} {elapsed:8.3f} s{rate}")
    return result


def _workflow(client, headers, issuing: str, enforcing: str, n: int) -> None:
    order = client.post("/api/v1/return-orders", headers=headers, json={
        "issuing_state": issuing, "decision_ref": f"B-{n}", "decision_date": "2024-01-10", "ground": "public_order",
        "case_ref": f"case-{n}"}).get_json()
    rec = client.post(f"/api/v1/return-orders/{order['id']}/recognitions", headers=headers,
                      json={"enforcing_state": enforcing, "requested_on": "2024-01-11"}).get_json()
    client.post(f"/api/v1/recognitions/{rec['id']}/decision", headers=headers,
                json={"recognised": True, "decided_on": "2024-01-12"})
    client.post(f"/api/v1/recognitions/{rec['id']}/enforcement", headers=headers, json={"enforced_on": "2024-02-01"})
    claim = client.post("/api/v1/cost-claims", headers=headers, json={
        "recognition": rec["id"], "submitted_on": "2024-02-15", "currency": "EUR", "recovered_from_person": "0.00",
        "lines": [{"category": "transport_air", "amount": "900.00", "evidence_ref": "T", "reference_fare": "850.00"},
                  {"category": "visa_fee", "amount": "60.00", "evidence_ref": "V"}]}).get_json()
    response = client.post(f"/api/v1/cost-claims/{claim['id']}/decision", headers=headers,
                           json={"accepted": True, "decided_on": "2024-03-01"})
    assert response.status_code == 200, response.get_json()


def _bulk_claims(session, count: int, rng: random.Random) -> None:
    """Accepted, unpaid claims written straight to the tables (the API path is measured separately)."""
    from ledger.recognition.models import CostClaim, Recognition, ReturnOrder
    from ledger.timeutil import utcnow

    pairs = [(rng.choice(EU), rng.choice(EU)) for _ in range(count)]
    pairs = [(i, e) for i, e in pairs if i != e]
    base, now = 1_000_000, utcnow()
    session.execute(insert(ReturnOrder), [
        {"id": base + n, "issuing_state": i, "decision_ref": f"BULK-{n}", "decision_date": date(2024, 1, 1),
         "ground": "public_order", "pseudonym": uuid.uuid4().hex * 2, "legal_basis": "2001/40/EC+2004/191/EC",
         "created_at": now}
        for n, (i, e) in enumerate(pairs)])
    session.execute(insert(Recognition), [
        {"id": base + n, "return_order_id": base + n, "issuing_state": i, "enforcing_state": e,
         "requested_on": date(2024, 1, 2), "status": "enforced", "decided_on": date(2024, 1, 3),
         "enforced_on": date(2024, 2, 1), "created_at": now} for n, (i, e) in enumerate(pairs)])
    rows = []
    for n, (i, e) in enumerate(pairs):
        amount = Decimal(rng.randint(10_000, 500_000)).scaleb(-2)
        decided = date(2024, 3, 1) + timedelta(days=rng.randint(0, 25))
        rows.append({"id": base + n, "recognition_id": base + n, "return_order_id": base + n, "issuing_state": i,
                     "enforcing_state": e, "legal_basis": "2001/40/EC+2004/191/EC", "submitted_on": date(2024, 2, 15),
                     "currency": "EUR", "claimed": amount, "allowed": amount, "recovered_from_person": Decimal(0),
                     "payable": amount, "late": False, "late_after": date(2025, 2, 1), "flags": "",
                     "decision_due_on": date(2024, 5, 15), "status": "accepted", "decided_on": decided,
                     "payment_due_on": decided + timedelta(days=91), "created_at": now})
    session.execute(insert(CostClaim), rows)
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("LEDGER_BENCH_DATABASE_URL"))
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--claims", type=int, default=50_000)
    args = parser.parse_args()
    os.environ.setdefault("LEDGER_ENV", "development")

    from ledger import create_app, migrate
    from ledger.auth import ApiToken, hash_token, new_token
    from ledger.db import make_engine
    from ledger.parties.models import Party

    with scratch_database(args.database_url) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = create_app({"LEDGER_DATABASE_URL": url, "LEDGER_PSEUDONYM_KEY": "bench-" + "k" * 40})
        print(f"database: {make_url(url).get_backend_name()}")
        token = new_token()
        with app.app_context():
            s = app.extensions["ledger.db"].new_session()
            s.add_all(Party(code=c, name=c) for c in EU)
            s.flush()
            s.add(ApiToken(name="bench", role="finance_officer", token_hash=hash_token(token)))
            s.commit()
            s.close()
        client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
        rng = random.Random(7)
        _timed(f"API workflow x{args.workflows} (6 requests, 1 journal entry each)",
               lambda: [_workflow(client, headers, *rng.sample(EU, 2), n) for n in range(args.workflows)],
               args.workflows)
        with app.app_context():
            s = app.extensions["ledger.db"].new_session()
            _timed(f"bulk insert of {args.claims:,} accepted claims", lambda: _bulk_claims(s, args.claims, rng))
            s.close()
        netting_url = "/api/v1/settlements/2024-03/netting?currency=EUR"
        body = _timed("GET /settlements/2024-03/netting?currency=EUR",
                      lambda: client.get(netting_url, headers=headers).get_json())
        plan = body["currencies"][0]
        print(f"  {len(plan['claims']):,} claims, {len(plan['positions'])} states, {len(plan['transfers'])} transfers, "
              f"optimal={plan['optimal']}")

        def page_all():
            pages, cursor = 0, ""
            while True:
                page = client.get(f"/api/v1/cost-claims?overdue=true&as_of=2024-07-01&limit=1000{cursor}",
                                  headers=headers).get_json()
                pages += 1
                if not page["next_cursor"]:
                    return pages
                cursor = f"&cursor={page['next_cursor']}"
        pages = _timed("GET /cost-claims?overdue=true, every page of 1000", page_all)
        print(f"  {pages} pages")
        app.extensions["ledger.db"].engine.dispose()


if __name__ == "__main__":
    main()
