"""Lists at scale: returnees, transfers, journal entries and the audit log, each filled to `--rows` rows, then pages
of 100 read through the API (in-process Flask test client: the service's time, no HTTP) at random cursors; p50 and
p99 per list (wall, and the CPU the service's thread spent: what other work on the machine moves least), and
the EXPLAIN of each list's page query.

    python -m bench.lists [--database-url postgresql://postgres@127.0.0.1:5432/ledger_lists] [--rows 1000000]
        [--pages 200] [--explain]

The database named in the URL is dropped and recreated. The rows are cloned in the database from rows the API
made (a generate_series on PostgreSQL, a recursive CTE on SQLite), so they are valid rows of their tables; the
journal entries get two postings each, on the accounts of the seed's first entry (between GB and AL): partner RW and
its accounts keep only the seed's few entries, the case where a page narrowed to some accounts must not walk the
journal.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time

from sqlalchemy import event, text

from bench import stack

SERIES_PG = "generate_series(1, :n) AS g(x)"
SERIES_SQLITE = "(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < :n) SELECT x FROM s) AS g"


def fill(url: str, rows: int) -> dict:
    """Rows in the four tables (beyond the seed's), and what the requests need: an agreement, a statement."""
    from ledger.db import make_engine

    engine = make_engine(url)
    pg = url.startswith("postgresql")
    series = SERIES_PG if pg else SERIES_SQLITE
    digest = "md5(g.x::text)" if pg else "printf('%064d', g.x)"
    now = "now()" if pg else "CURRENT_TIMESTAMP"
    started = time.monotonic()
    with engine.begin() as conn:
        if not pg:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(text(
            "INSERT INTO agreements (reference, kind, payer_code, payee_code, currency, effective_from, version, "
            "created_at) VALUES ('GB-AL-LISTS', 'return_hub', 'GB', 'AL', 'GBP', '2026-01-01', 1, " + now + ")"))
        agreement = conn.execute(text("SELECT id FROM agreements WHERE reference = 'GB-AL-LISTS'")).scalar()
        conn.execute(text(
            "INSERT INTO statements (format, account, party_code, currency, statements, entries, imported, duplicates, "
            "not_booked, balance_check, flags, file_sha256, imported_by, imported_at) VALUES ('camt.053', "
            "'GB33BUKB20201555555555', 'GB', 'GBP', 1, :n, :n, 0, 0, 'unchecked', '', 'bench', 'bench', " + now + ")"),
            {"n": rows})
        statement = conn.execute(text("SELECT max(id) FROM statements")).scalar()
        conn.execute(text(
            "INSERT INTO returnees (agreement_id, pseudonym, nationality, transferred_on, status, retain_until, "
            "created_at, reprice_pending) SELECT :a, " + digest + ", 'ERI', '2026-03-02', 'transferred', '2036-03-02', "
            + now + ", false FROM " + series), {"a": agreement, "n": rows})
        conn.execute(text(
            "INSERT INTO transfers (statement_id, statement_index, entry_index, account, party_code, amount, currency, "
            "direction, booking_date, value_date, bank_reference, reversal, booking_status, fingerprint, allocated) "
            "SELECT :s, 0, g.x, CASE WHEN g.x % 2 = 0 THEN 'GB33BUKB20201555555555' ELSE 'GB94BARC10201530093459' "
            "END, CASE WHEN g.x % 2 = 0 THEN 'GB' ELSE 'AL' END, 1000000 + g.x, 'GBP', 'debit', '2026-03-02', "
            "'2026-03-02', 'REF' || g.x, false, 'booked', " + digest + ", 0 FROM " + series),
            {"s": statement, "n": rows})
        first = conn.execute(text("SELECT coalesce(max(id), 0) FROM journal_entries")).scalar()
        template = conn.execute(text("SELECT min(id) FROM journal_entries")).scalar()
        period = conn.execute(text("SELECT period FROM journal_entries WHERE id = :t"), {"t": template}).scalar()
        conn.execute(text(
            "INSERT INTO journal_entries (id, effective_date, period, source_type, source_id, memo, created_at, "
            "prev_hash, hash) SELECT :first + g.x, e.effective_date, e.period, 'bench', 'lists-' || g.x, e.memo, "
            "e.created_at, e.prev_hash, e.hash FROM journal_entries e, " + series + " WHERE e.id = :t"),
            {"first": first, "t": template, "n": rows})
        conn.execute(text(
            "INSERT INTO postings (entry_id, line, account_id, currency, amount, effective_date, period) "
            "SELECT :first + g.x, p.line, p.account_id, p.currency, p.amount, p.effective_date, p.period "
            "FROM postings p, " + series + " WHERE p.entry_id = :t"), {"first": first, "t": template, "n": rows})
        seq = conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_log")).scalar()
        conn.execute(text(
            "INSERT INTO audit_log (seq, at, principal, action, object_type, object_id, request_id, summary, "
            "prev_hash, hash) SELECT :seq + g.x, '2026-12-06T12:00:00+00:00', 'token:1', "
            "CASE WHEN g.x % 10 = 0 THEN 'party.update' ELSE 'returnee.create' END, 'returnee', "
            "CAST(g.x AS VARCHAR(20)), 'bench', '', 'x', 'y' FROM " + series), {"seq": seq, "n": rows})
        # The audit chain's head after the cloned records, so a write over this database (a sign-in) appends
        # after them instead of conflicting with one (the clones' hashes do not verify: a bench's database).
        conn.execute(text("DELETE FROM chain_heads WHERE name = 'audit'"))
        conn.execute(text("INSERT INTO chain_heads (name, seq, hash) VALUES ('audit', :last, 'y')"),
                     {"last": seq + rows})
    with engine.connect() as conn:  # fresh statistics for the planner
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return {"agreement": agreement, "statement": statement, "period": period, "seconds": time.monotonic() - started}


def _reuse(url: str) -> tuple[stack.Seeded, dict]:
    from ledger.auth import hash_token, new_token
    from ledger.db import make_engine

    engine = make_engine(url)
    tokens: dict[str, str] = {}
    with engine.begin() as conn:
        for role, party in [("admin", None), ("finance_officer", None), ("auditor", None)] + [
                ("partner", code) for code in stack.PARTIES]:
            tokens[party or role] = new_token()
            conn.execute(text("INSERT INTO api_tokens (name, role, party_code, token_hash, created_at) "
                              "VALUES (:n, :r, :p, :h, CURRENT_TIMESTAMP)"),
                         {"n": f"bench-lists-{party or role}", "r": role, "p": party,
                          "h": hash_token(tokens[party or role])})
        agreement = conn.execute(text("SELECT id FROM agreements WHERE reference = 'GB-AL-LISTS'")).scalar()
        statement = conn.execute(text("SELECT max(id) FROM statements")).scalar()
        period = conn.execute(text("SELECT period FROM journal_entries ORDER BY id LIMIT 1")).scalar()
    engine.dispose()
    seeded = stack.Seeded(tokens["admin"], tokens["finance_officer"], tokens["auditor"],
                          {code: tokens[code] for code in stack.PARTIES})
    return seeded, {"agreement": agreement, "statement": statement, "period": period, "seconds": 0.0}


def lists(filled: dict) -> list[tuple[str, str, str, str]]:
    """(name, path, whose token, the table whose ids the cursors pick from)"""
    a, s = filled["agreement"], filled["statement"]
    return [
        ("returnees (partner AL)", f"/api/v1/agreements/{a}/returnees?limit=100", "AL", "returnees"),
        ("transfers (officer)", "/api/v1/transfers?limit=100", "officer", "transfers"),
        ("transfers of a statement", f"/api/v1/transfers?statement={s}&limit=100", "officer", "transfers"),
        ("transfers (partner GB)", "/api/v1/transfers?limit=100", "GB", "transfers"),
        ("journal entries (officer)", "/api/v1/journal/entries?limit=100", "officer", "journal_entries"),
        ("journal entries of a period", f"/api/v1/journal/entries?period={filled['period']}&limit=100", "officer",
         "journal_entries"),
        ("journal entries (partner AL)", "/api/v1/journal/entries?limit=100", "AL", "journal_entries"),
        # RW's accounts carry 10 of the seed's entries and none of the million: its pages find (next to) nothing
        ("journal entries (partner RW, few)", "/api/v1/journal/entries?limit=100", "RW", "journal_entries"),
        ("entries of an account (many)", "/api/v1/journal/entries?account=obligations:AL:GB:1:GBP&limit=100",
         "officer", "journal_entries"),
        ("entries of an account (few)", "/api/v1/journal/entries?account=obligations:RW:GB:2:GBP&limit=100",
         "officer", "journal_entries"),
        ("audit log (auditor)", "/api/v1/audit?limit=100", "auditor", "audit_log"),
        ("audit log by action", "/api/v1/audit?action=party.update&limit=100", "auditor", "audit_log"),
    ]


def measure(url: str, seeded: stack.Seeded, filled: dict, pages: int, explain: bool) -> list[dict]:
    from contracts.common import encode_cursor
    from ledger import create_app

    app = create_app({"LEDGER_DATABASE_URL": url, "LEDGER_SECRET_KEY": "bench-" + "s" * 40,
                      "LEDGER_PSEUDONYM_KEY": "bench-" + "p" * 40, "LEDGER_RATELIMIT_ENABLED": False,
                      "LEDGER_LOG_LEVEL": "WARNING"})
    gc.collect()
    gc.freeze()  # as ledger.wsgi does in each worker: start-up's objects out of the full collections
    engine = app.extensions["ledger.db"].engine
    tokens = {"officer": seeded.officer, "auditor": seeded.auditor, **seeded.partners}
    client = app.test_client()
    rng = random.Random(7)
    out = []
    for name, path, who, table in lists(filled):
        key = "seq" if table == "audit_log" else "id"
        with engine.connect() as conn:
            low, high = conn.execute(text(f"SELECT min({key}), max({key}) FROM {table}")).one()
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        times, cpus, sizes, statuses = [], [], [], set()
        for i in range(pages + 5):
            cursor = "" if i % 10 == 0 else f"&cursor={encode_cursor(rng.randint(low, high))}"
            started, cpu = time.perf_counter(), time.thread_time()
            response = client.get(path + cursor, headers=headers)
            elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
            statuses.add(response.status_code)
            if i >= 5:  # the first few warm the caches
                times.append(elapsed)
                cpus.append(cpu)
                sizes.append(len(response.get_json().get("items", [])) if response.status_code == 200 else 0)
        q = statistics.quantiles(times, n=100, method="inclusive")
        c = statistics.quantiles(cpus, n=100, method="inclusive")
        row = {"list": name, "p50": q[49] * 1000, "p99": q[98] * 1000, "cpu50": c[49] * 1000, "cpu99": c[98] * 1000,
               "items": statistics.mean(sizes), "statuses": sorted(statuses)}
        if explain:
            row["explain"] = _explain(app, client, engine, path + f"&cursor={encode_cursor((low + high) // 2)}",
                                      headers, table)
        out.append(row)
    engine.dispose()
    return out


def _explain(app, client, engine, path: str, headers: dict, table: str) -> str:
    """The plan of the request's page query (the one that reads `table` with LIMIT)."""
    seen = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if f"FROM {table}" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    if not seen:
        return "(no page query seen)"
    statement, parameters = seen[0]
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement, parameters)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = "\n".join(" | ".join(str(c) for c in r) if engine.dialect.name == "sqlite" else r[0]
                         for r in cursor.fetchall())
        cursor.close()
        raw.rollback()
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/ledger_lists")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a database an earlier run filled (new tokens; --rows is then only a label)")
    args = parser.parse_args(argv)
    if args.reuse:
        seeded, filled = _reuse(args.database_url)
    else:
        stack.fresh_database(args.database_url)
        seeded = stack.seed(args.database_url, entries=20)
        filled = fill(args.database_url, args.rows)
    print(f"lists: {args.rows:,} rows in each of returnees, transfers, journal entries (+2 postings each) and the "
          f"audit log ({args.database_url.split('@')[-1]}), filled in {filled['seconds']:.0f} s; {args.pages} pages "
          f"of 100 each at random cursors; load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    rows = measure(args.database_url, seeded, filled, args.pages, args.explain)
    print(f"  {'list':<36} {'p50 ms':>8} {'p99 ms':>8} {'CPU p50':>8} {'CPU p99':>8} {'items/page':>11}  statuses")
    for row in rows:
        print(f"  {row['list']:<36} {row['p50']:>8.1f} {row['p99']:>8.1f} {row['cpu50']:>8.1f} {row['cpu99']:>8.1f} "
              f"{row['items']:>11.0f}  {row['statuses']}")
    for row in rows:
        if "explain" in row:
            print(f"\n  EXPLAIN {row['list']}:\n    " + row["explain"].replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
