"""Statement import at bank scale, against a bare baseline, on SQLite and PostgreSQL.

    python -m bench.statements [--database-url sqlite | postgresql://postgres@127.0.0.1:5432/test ...]
                               [--sizes 10000,100000,1000000] [--workdir /tmp/ledger-bench]

For each size a camt.053 file is generated once (bench/statements_gen.py). For each database and size, in a
fresh database (a new SQLite file, or a new PostgreSQL database created on the given server and dropped
afterwards), two child processes run, so each one's peak memory is its own:

- the importer: `ledger.statements.service.import_statement` in one transaction, as `ledger statements
  import` runs it (fingerprints, ON CONFLICT dedup, unique and secondary indexes, audit record);
- the bare baseline: lxml iterparse of the same file, one row per transaction detail with the same columns,
  plain executemany into a table with no index or constraint, one transaction.

Printed: rows/s, wall seconds and peak RSS of each, importer time / baseline time, and each one's CPU seconds
in this process (the client side; on a shared machine the wall clock also counts waiting for a CPU). Targets: at 100,000
entries the ratio is at most 3; the importer's peak memory at 1,000,000 is at most 1.5x that at 100,000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

COLUMNS = ("statement_id", "statement_index", "entry_index", "detail_index", "account", "party_code",
           "counterparty_party", "amount", "currency", "direction", "booking_date", "value_date", "bank_reference",
           "end_to_end_id", "uetr", "structured_reference", "structured_reference_scheme",
           "remittance_information", "counterparty_name", "counterparty_iban", "reversal", "booking_status",
           "fingerprint", "allocated")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# ---- children ------------------------------------------------------------------------------------------

def run_import(url: str, path: str) -> dict:
    from ledger import create_app
    from ledger.cli import transaction
    from ledger.parties.models import BankAccount, Party
    from ledger.statements.service import import_statement

    app = create_app({"LEDGER_DATABASE_URL": url, "LEDGER_PSEUDONYM_KEY": "bench-" + "x" * 32})
    with app.app_context():
        with transaction("bench.setup") as session:
            session.add(Party(code="GB", name="United Kingdom"))
            session.flush()
            session.add(BankAccount(party_code="GB", iban="GB33BUKB20201555555555", currency="EUR"))
        started, cpu = time.perf_counter(), time.process_time()
        with transaction("statement.import") as session, open(path, "rb") as stream:
            record = import_statement(session, stream, actor="bench")
            summary = {"entries": record.entries, "imported": record.imported, "check": record.balance_check}
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    app.extensions["ledger.db"].engine.dispose()
    return {**summary, "seconds": seconds, "cpu": cpu, "peak_mb": _peak_rss_mb()}


def _bare_rows(path: str):
    """One tuple per transaction detail (or per entry without details), read the plainest way."""
    from lxml import etree

    ns = "{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}"
    for entry_index, (_, entry) in enumerate(etree.iterparse(path, tag=f"{ns}Ntry"), start=1):
        amount = entry.find(f"{ns}Amt")
        direction = "credit" if entry.findtext(f"{ns}CdtDbtInd") == "CRDT" else "debit"
        booked = entry.findtext(f"{ns}BookgDt/{ns}Dt")
        valued = entry.findtext(f"{ns}ValDt/{ns}Dt")
        reference = entry.findtext(f"{ns}AcctSvcrRef")
        details = entry.findall(f"{ns}NtryDtls/{ns}TxDtls")
        for index, detail in enumerate(details or [None]):
            detail_amount = detail.find(f"{ns}AmtDtls/{ns}TxAmt/{ns}Amt") if detail is not None else None
            value = (detail_amount if detail_amount is not None else amount).text
            def text(p, d=detail):
                return (d.findtext(p) if d is not None else None)
            yield (1, 1, entry_index, index if len(details) > 1 else None, "GB33BUKB20201555555555", "GB", None,
                   value, amount.get("Ccy"), direction, booked, valued, reference,
                   text(f"{ns}Refs/{ns}EndToEndId"), None, text(f"{ns}RmtInf/{ns}Strd/{ns}CdtrRefInf/{ns}Ref"), None,
                   text(f"{ns}RmtInf/{ns}Ustrd"), text(f"{ns}RltdPties/*/{ns}Nm"),
                   text(f"{ns}RltdPties/*/{ns}Id/{ns}IBAN"), False, "booked", f"{reference}/{index}", "0")
        entry.clear()
        while entry.getprevious() is not None:
            del entry.getparent()[0]


def run_baseline(url: str, path: str) -> dict:
    import sqlite3

    columns = ", ".join(COLUMNS)
    types = ", ".join(f"{c} TEXT" for c in COLUMNS)
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        marks = ", ".join("?" for _ in COLUMNS)
    else:
        import psycopg

        connection = psycopg.connect(url)
        marks = ", ".join("%s" for _ in COLUMNS)
    cursor = connection.cursor()
    key = "id INTEGER PRIMARY KEY" if url.startswith("sqlite") else "id BIGSERIAL PRIMARY KEY"
    cursor.execute(f"CREATE TABLE bare_transfers ({key}, {types})")
    connection.commit()
    started, cpu = time.perf_counter(), time.process_time()
    rows, count = [], 0
    for row in _bare_rows(path):
        rows.append(row)
        if len(rows) == 5000:
            cursor.executemany(f"INSERT INTO bare_transfers ({columns}) VALUES ({marks})", rows)
            count, rows = count + len(rows), []
    if rows:
        cursor.executemany(f"INSERT INTO bare_transfers ({columns}) VALUES ({marks})", rows)
        count += len(rows)
    connection.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    connection.close()
    return {"entries": count, "seconds": seconds, "cpu": cpu, "peak_mb": _peak_rss_mb()}


# ---- orchestration ---------------------------------------------------------------------------------------

def _fresh_database(url: str, workdir: Path, label: str):
    """(url of a new, migrated database, drop function)."""
    from sqlalchemy import create_engine, text

    from ledger import migrate
    from ledger.db import make_engine

    if url == "sqlite":
        path = workdir / f"{label}-{uuid.uuid4().hex[:8]}.sqlite3"
        fresh, drop = f"sqlite:///{path}", lambda: [p.unlink(missing_ok=True) for p in workdir.glob(f"{path.name}*")]
    else:
        name = f"ledger_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        fresh = url.rsplit("/", 1)[0] + f"/{name}"

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    engine = make_engine(fresh)
    migrate.upgrade(engine)
    engine.dispose()
    return fresh, drop


def _child(mode: str, url: str, path: Path) -> dict:
    output = subprocess.run([sys.executable, "-m", "bench.statements", "--child", mode, url, str(path)],
                            check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(output.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", action="append", dest="urls",
                        help="'sqlite' or a postgresql:// server URL (a database is created on it); repeatable")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ledger-bench"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, url, path = args.child
        print(json.dumps(run_import(url, path) if mode == "import" else run_baseline(url, path)))
        return 0

    from bench.statements_gen import statement_files

    args.workdir.mkdir(parents=True, exist_ok=True)
    urls = args.urls or ["sqlite", os.environ.get("LEDGER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")]
    sizes = [int(s) for s in args.sizes.split(",")]
    files = statement_files(args.workdir, sizes)
    print(f"{'database':<10} {'entries':>9} {'rows':>9} {'import s':>9} {'rows/s':>9} {'peak MB':>8} "
          f"{'bare s':>8} {'bare r/s':>9} {'bare MB':>8} {'ratio':>6} {'cpu s':>7} {'bare cpu':>8}")
    peaks: dict[tuple[str, int], float] = {}
    for url in urls:
        kind = "sqlite" if url == "sqlite" else "postgres"
        for size in sizes:
            fresh, drop = _fresh_database(url, args.workdir, f"import-{size}")
            try:
                ours = _child("import", fresh, files[size])
            finally:
                drop()
            fresh, drop = _fresh_database(url, args.workdir, f"bare-{size}")
            try:
                bare = _child("baseline", fresh, files[size])
            finally:
                drop()
            peaks[(kind, size)] = ours["peak_mb"]
            print(f"{kind:<10} {size:>9} {ours['imported']:>9} {ours['seconds']:>9.2f} "
                  f"{ours['imported'] / ours['seconds']:>9.0f} {ours['peak_mb']:>8.1f} {bare['seconds']:>8.2f} "
                  f"{bare['entries'] / bare['seconds']:>9.0f} {bare['peak_mb']:>8.1f} "
                  f"{ours['seconds'] / bare['seconds']:>6.2f} {ours['cpu']:>7.2f} {bare['cpu']:>8.2f}", flush=True)
    for kind in ("sqlite", "postgres"):
        if (kind, 100_000) in peaks and (kind, 1_000_000) in peaks:
            print(f"{kind}: peak memory at 1,000,000 / at 100,000 = "
                  f"{peaks[(kind, 1_000_000)] / peaks[(kind, 100_000)]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
