"""Benchmark: posting N journal entries through the service the API uses, against a raw baseline.

    python -m bench.journal [--entries 100000] [--batch 1000] [--databases sqlite,postgresql]

Prints, per database: entries/s through `ledger.journal.service.post_entries` (batched, one transaction
per batch), the same rows with the same hash chain written by plain `executemany`, their ratio (target
≥ 40%), and the time of a balance-as-of query over all accounts (target < 1 s at 100,000 entries).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from bench._db import app_for, scratch_database
from ledger import integrity
from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, Line, entry_content
from ledger.money import Money
from ledger.parties.models import Party
from ledger.timeutil import period_of

PARTIES = ["GB", "AL", "RW", "DE", "FR", "IT"]
START = date(2026, 1, 1)


def accounts() -> list[AccountKey]:
    keys = []
    for agreement, host in enumerate(PARTIES[1:], start=1):
        keys += [AccountKey("returns_costs", "GBP", "GB", host, agreement),
                 AccountKey("obligations", "GBP", host, "GB", agreement),
                 AccountKey("invoices_payable", "GBP", host, "GB", agreement)]
    return keys + [AccountKey("cash", "GBP", "GB"), AccountKey("bank_charges", "GBP", "GB")]


def drafts(n: int, seed: int = 7) -> list[EntryDraft]:
    """N balanced entries of 2–4 lines over a year, deterministic for a seed."""
    rng, keys, out = random.Random(seed), accounts(), []
    for i in range(n):
        legs = rng.randint(1, 3)
        amounts = [Money(Decimal(rng.randint(100, 5_000_000)) / 100, "GBP") for _ in range(legs)]
        lines = [Line(rng.choice(keys), a) for a in amounts]
        lines.append(Line(rng.choice(keys), -sum((a for a in amounts[1:]), amounts[0])))
        out.append(EntryDraft(START + timedelta(days=i * 365 // n), tuple(lines), "bench", str(i)))
    return out


def _seed_parties(app) -> None:
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        s.add_all(Party(code=c, name=c) for c in PARTIES)
        s.commit()
        service.account_ids(s, accounts())
        s.commit()
        s.close()


def run_service(url: str, entries: list[EntryDraft], batch: int) -> float:
    app = app_for(url)
    _seed_parties(app)
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        started = time.perf_counter()
        for i in range(0, len(entries), batch):
            service.post_entries(s, entries[i:i + batch])
            s.commit()
        elapsed = time.perf_counter() - started
        s.close()
    app.extensions["ledger.db"].engine.dispose()
    return elapsed


def run_raw(url: str, entries: list[EntryDraft], batch: int) -> float:
    """The floor: same rows, same hash chain, plain executemany on the driver, no checks."""
    app = app_for(url)
    _seed_parties(app)
    engine = app.extensions["ledger.db"].engine
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT code, id FROM accounts")).all())
    raw = engine.raw_connection()
    cursor = raw.cursor()
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    entry_sql = (f"INSERT INTO journal_entries (id, effective_date, period, source_type, source_id, memo, "
                 f"reverses_id, created_at, prev_hash, hash) VALUES ({', '.join([marker] * 10)})")
    posting_sql = (f"INSERT INTO postings (entry_id, line, account_id, currency, amount, effective_date, period) "
                   f"VALUES ({', '.join([marker] * 7)})")
    sqlite = engine.dialect.name == "sqlite"
    started = time.perf_counter()
    seq, prev = 0, integrity.GENESIS
    if engine.dialect.name == "sqlite":
        cursor.execute("BEGIN")
    for i in range(0, len(entries), batch):
        entry_rows, posting_rows = [], []
        created = "2026-01-01T00:00:00+00:00"
        for draft in entries[i:i + batch]:
            seq += 1
            period = period_of(draft.effective_date)
            digest = integrity.link_hash(prev, entry_content(seq, period, created, draft))
            entry_rows.append((seq, draft.effective_date, period, draft.source_type, draft.source_id, "", None,
                               created, prev, digest))
            posting_rows += [(seq, n, ids[line.account.code], "GBP",
                              int(line.amount.amount.scaleb(4)) if sqlite else line.amount.amount,
                              draft.effective_date, period)
                             for n, line in enumerate(draft.lines)]
            prev = digest
        cursor.executemany(entry_sql, entry_rows)
        cursor.executemany(posting_sql, posting_rows)
        raw.commit()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")
    elapsed = time.perf_counter() - started
    raw.rollback()
    raw.close()
    engine.dispose()
    return elapsed


def balance_query_seconds(url: str) -> float:
    app = app_for(url)
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        started = time.perf_counter()
        result = service.balances(s, as_of=date(2026, 9, 30))
        elapsed = time.perf_counter() - started
        assert sum(balance for _, balance in result) == 0  # the books balance
        s.close()
    app.extensions["ledger.db"].engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    entries = drafts(args.entries)
    lines = sum(len(d.lines) for d in entries)
    print(f"journal benchmark: {args.entries} entries, {lines} postings, batches of {args.batch}")
    for kind in args.databases.split(","):
        with scratch_database(kind) as url:
            service_s = run_service(url, entries, args.batch)
            query_s = balance_query_seconds(url)
        with scratch_database(kind) as url:
            raw_s = run_raw(url, entries, args.batch)
        rate, raw_rate = args.entries / service_s, args.entries / raw_s
        print(f"{kind:>10}: service {rate:9.0f} entries/s ({service_s:6.2f} s) | raw executemany "
              f"{raw_rate:9.0f} entries/s ({raw_s:6.2f} s) | ratio {rate / raw_rate:5.1%} (target >= 40%) | "
              f"balance-as-of over all accounts {query_s * 1000:7.1f} ms (target < 1000 ms)")


if __name__ == "__main__":
    main()
