"""Benchmark: a reconciliation run's duplicate check (`reconciliation.duplicates.repeats_waiting`) on busy books.

    python -m bench.duplicates [--invoices 20000] [--transfers 200000] [--amounts 5] [--pairs 20]
                               [--databases sqlite,postgresql] [--admin-url URL]

For each database: `--invoices` paid invoices and `--transfers` waiting payments out (booked, nothing allocated)
between `--pairs` payer/host pairs, all for one of `--amounts` amounts (every month's fee is the same amount), so
each payment shares its payer, payee, currency and amount with invoices/(pairs × amounts) paid invoices. One
payment in 20 quotes a paid invoice's number (some of another amount, which repeats nothing), the rest a
reference no invoice has or none. Then `repeats_waiting` is timed (wall and the calling thread's CPU) and run
again under tracemalloc for its peak Python memory; it prints the figures and how many repeats it found.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc
from datetime import date
from decimal import Decimal

from sqlalchemy import insert

from bench._db import app_for, scratch_database
from ledger.agreements.models import Agreement
from ledger.invoices.models import Invoice
from ledger.parties.models import Party
from ledger.reconciliation.duplicates import repeats_waiting
from ledger.statements.models import Statement, Transfer

_CHUNK = 5000
_CREATED = date(2026, 1, 1)


def seed(url: str, invoices: int, transfers: int, amounts: int, pairs: int, seed_: int = 0) -> None:
    """Write the paid invoices and the waiting payments (not timed)."""
    rng = random.Random(seed_)
    fees = [Decimal(1000 + 250 * k).quantize(Decimal("0.01")) for k in range(amounts)]
    app = app_for(url)
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        couples = [(chr(65 + k % 26) + chr(65 + k // 26 % 26), "Z" + chr(65 + k % 26)) for k in range(pairs)]
        codes = sorted({c for couple in couples for c in couple})
        s.execute(insert(Party), [{"code": c, "name": f"State {c}", "contact_point": "", "version": 1,
                                   "created_at": _CREATED} for c in codes])
        agreement = {}
        for payer, payee in couples:
            agreement[(payer, payee)] = s.execute(insert(Agreement).returning(Agreement.id), [{
                "reference": f"AG-{payer}-{payee}", "kind": "return_hub", "payer_code": payer, "payee_code": payee,
                "currency": "GBP", "effective_from": date(2025, 1, 1), "version": 1,
                "created_at": _CREATED}]).scalar_one()
        rows, paid = [], []
        for n in range(1, invoices + 1):
            payer, payee = couples[n % pairs]
            fee = fees[n // pairs % amounts]
            paid.append((payer, payee, fee, f"INV-{n}"))
            rows.append({"id": n, "agreement_id": agreement[(payer, payee)], "payee_code": payee,
                         "payer_code": payer, "number": f"INV-{n}", "document_type": "invoice",
                         "issued_on": date(2026, 1, 1), "due_on": date(2026, 1, 31), "currency": "GBP",
                         "period": "2026-01", "payment_reference": None, "payment_reference_is_rf": False,
                         "total": fee, "payable": fee, "amount_open": 0, "status": "paid", "source": "json",
                         "advance_offset": 0, "version": 1, "created_at": _CREATED})
        for start in range(0, len(rows), _CHUNK):
            s.execute(insert(Invoice), rows[start:start + _CHUNK])
        statement_id = s.execute(insert(Statement).returning(Statement.id), [{
            "format": "camt.053", "statements": 1, "entries": transfers, "imported": 0, "duplicates": 0,
            "not_booked": 0, "balance_check": "not_checked", "flags": "", "file_sha256": "0" * 64,
            "imported_by": "bench", "imported_at": _CREATED}]).scalar_one()
        rows = []
        for n in range(1, transfers + 1):
            payer, payee, fee, number = rng.choice(paid)
            if n % 20:  # the same fee as ever, no invoice quoted
                fee, remittance = rng.choice(fees), rng.choice(["Monthly fee", f"Order {n}", None])
            else:  # quotes a paid invoice; one in four for any of the amounts
                remittance = f"Fee {number}"
                fee = fee if n % 80 else rng.choice(fees)
            rows.append({"id": n, "statement_id": statement_id, "statement_index": 0, "entry_index": n,
                         "account": f"BENCH{payer}", "party_code": payer, "counterparty_party": payee,
                         "amount": fee, "currency": "GBP", "direction": "debit", "booking_date": date(2026, 2, 1),
                         "value_date": date(2026, 2, 1), "end_to_end_id": None, "structured_reference": None,
                         "remittance_information": remittance, "counterparty_iban": None, "reversal": False,
                         "booking_status": "booked", "fingerprint": f"bench-T{n}", "allocated": 0})
            if len(rows) == _CHUNK:
                s.execute(insert(Transfer), rows)
                rows = []
        if rows:
            s.execute(insert(Transfer), rows)
        s.commit()
        s.close()
    app.extensions["ledger.db"].engine.dispose()


def measure(url: str) -> dict[str, object]:
    app = app_for(url)
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        wall, cpu = time.perf_counter(), time.thread_time()
        found = repeats_waiting(s)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        s.rollback()
        tracemalloc.start()
        repeats_waiting(s)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        s.close()
    app.extensions["ledger.db"].engine.dispose()
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_mib": round(peak / 2**20, 1),
            "repeats": len(found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--transfers", type=int, default=200_000)
    parser.add_argument("--amounts", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        with scratch_database(kind, args.admin_url) as url:
            seed(url, args.invoices, args.transfers, args.amounts, args.pairs)
            print(json.dumps({"database": kind, "invoices": args.invoices, "transfers": args.transfers,
                              "amounts": args.amounts, "pairs": args.pairs, **measure(url)}), flush=True)


if __name__ == "__main__":
    main()
