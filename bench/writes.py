"""The partner mix's write steps, in process: the CPU each request costs the service and the SQL statements it sends.

    python -m bench.writes [--databases sqlite,postgresql] [--database-url URL] [--rounds 60]
        [--profile STEP] [--statements STEP]

On a scratch database of each kind (`bench._db`), seeded as `bench.load` seeds its own (five parties, a token per
role and partner, 200 journal entries, an agreement per host with a first batch of returnees and March accrued),
each round sends the write steps of `bench.load`'s mix through the Flask test client (the whole request: auth,
idempotency, validation, the service, the audit record, serialisation, commit; no HTTP): a 25-returnee batch
under an Idempotency-Key and its retry, an invoice for March as JSON and as UBL under a key and the JSON one's
retry, the approval of one of them (a payable on the journal's hash chain), a party created under a key and an
update of a party with If-Match. The first rounds warm the caches and are not counted.

Per step: the CPU the request's thread spent (`time.thread_time`: what other work on the machine moves least),
p50 and mean, and the statements sent to the database (`before_cursor_execute`; an executemany counts once).
`--profile STEP` prints a cProfile of that step's requests (the functions with the most own time, and the
ledger's with the most time below them); `--statements STEP` prints one request's statements, in order.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import defaultdict

import pycountry
from sqlalchemy import event

from bench import stack
from bench._db import scratch_database

BATCH = 25
HOSTS = ("AL", "RW")
TERMS = {"per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 3},
         "payment_terms_days": 30, "tolerance": {"absolute": "50.00", "percent": "0.5"}}


class Counter:
    """The statements an engine sends, while `on`."""

    def __init__(self, engine) -> None:
        self.on, self.statements = False, []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _parameters, _context, executemany):
        if self.on:
            self.statements.append(("many: " if executemany else "") + " ".join(statement.split())[:160])


def _people(n: int, day: str) -> list[dict]:
    return [{"case_ref": f"LOAD-{uuid.uuid4().hex[:20]}", "transferred_on": day, "accepted_on": day,
             "nationality": "ERI"} for _ in range(n)]


def _invoice_json(host: str, number: str, amount: str) -> dict:
    return {"agreement": f"GB-{host}-LOAD", "number": number, "issued_on": "2026-04-02", "due_on": "2026-05-02",
            "currency": "GBP", "period": "2026-03", "payment_reference": "RF18539007547034", "total": amount,
            "lines": [{"kind": "adjustment", "amount": amount}]}


class Bench:
    def __init__(self, url: str, profile: str | None, show: str | None) -> None:
        from ledger import create_app

        self.seeded = stack.seed(url)
        self.app = create_app({"LEDGER_DATABASE_URL": url, "LEDGER_SECRET_KEY": "bench-" + "s" * 40,
                               "LEDGER_PSEUDONYM_KEY": "bench-" + "p" * 40, "LEDGER_RATELIMIT_ENABLED": False,
                               "LEDGER_LOG_LEVEL": "WARNING"})
        gc.collect()
        gc.freeze()  # as ledger.wsgi does in each worker
        self.engine = self.app.extensions["ledger.db"].engine
        self.counter = Counter(self.engine)
        self.client = self.app.test_client()
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.sql: dict[str, list[int]] = defaultdict(list)
        self.counting = False
        self.profile, self.show, self.profiler = profile, show, cProfile.Profile(time.thread_time)
        self.shown: list[str] | None = None
        self.spare = iter(sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in stack.PARTIES))
        self.agreements = self._prepare()

    def _auth(self, token: str, **headers: str) -> dict:
        return {"Authorization": f"Bearer {token}", **headers}

    def call(self, step: str, method: str, path: str, token: str, expected: int, **kw):
        self.counter.statements = []
        self.counter.on = True
        profiling = self.counting and step == self.profile
        if profiling:
            self.profiler.enable()
        headers = self._auth(token, **kw.pop("headers", {}))
        cpu = time.thread_time()
        response = self.client.open(path, method=method, headers=headers, **kw)
        cpu = time.thread_time() - cpu
        if profiling:
            self.profiler.disable()
        self.counter.on = False
        assert response.status_code == expected, (step, response.status_code, response.get_data(as_text=True)[:400])
        if self.counting:
            self.cpu[step].append(cpu)
            self.sql[step].append(len(self.counter.statements))
            if step == self.show and self.shown is None:
                self.shown = list(self.counter.statements)
        return response

    def _prepare(self) -> dict[str, int]:
        s, agreements = self.seeded, {}
        for host in HOSTS:
            body = {"reference": f"GB-{host}-LOAD", "kind": "return_hub", "payer": "GB", "payee": host,
                    "currency": "GBP", "signed_on": "2026-01-15", "effective_from": "2026-01-01",
                    "effective_to": "2030-12-31", "terms": TERMS}
            created = self.call("prepare", "POST", "/api/v1/agreements", s.admin, 201, json=body)
            agreements[host] = created.get_json()["id"]
            self.call("prepare", "POST", f"/api/v1/agreements/{agreements[host]}/returnees/batch", s.partners[host],
                      200, json={"items": _people(BATCH, "2026-03-02")})
            self.call("prepare", "POST", f"/api/v1/agreements/{agreements[host]}/accrue", s.officer, 200,
                      json={"period": "2026-03"})
        return agreements

    def round(self, n: int) -> None:
        from tests.api.invoices_helpers import ubl

        s, host = self.seeded, HOSTS[n % 2]
        partner = s.partners[host]
        key, path = stack.new_key(), f"/api/v1/agreements/{self.agreements[host]}/returnees/batch"
        body = {"items": _people(BATCH, f"2026-04-{1 + n % 28:02d}")}
        self.call("returnee batch", "POST", path, partner, 200, json=body, headers={"Idempotency-Key": key})
        self.call("returnee batch (retry)", "POST", path, partner, 200, json=body, headers={"Idempotency-Key": key})

        key, number, amount = stack.new_key(), f"{host}-LOAD-{uuid.uuid4().hex[:12]}", f"{1000 + n}.{n % 100:02d}"
        body = _invoice_json(host, number, amount)
        created = self.call("invoice intake (JSON)", "POST", "/api/v1/invoices", partner, 201, json=body,
                            headers={"Idempotency-Key": key}).get_json()
        self.call("invoice intake (retry)", "POST", "/api/v1/invoices", partner, 201, json=body,
                  headers={"Idempotency-Key": key})
        document = ubl(f"{host}-UBL-{uuid.uuid4().hex[:12]}", f"GB-{host}-LOAD",
                       [{"kind": "adjustment", "amount": amount}])
        self.call("invoice intake (UBL)", "POST", "/api/v1/invoices", partner, 201, data=document,
                  headers={"Idempotency-Key": stack.new_key(), "Content-Type": "application/xml"})
        self.call("invoice approval", "POST", f"/api/v1/invoices/{created['id']}/approve", s.officer, 200,
                  json={"overrides": [{"line": "1", "reason": "load bench: agreed adjustment"}]})

        code = next(self.spare)
        self.call("party create", "POST", "/api/v1/parties", s.admin, 201, json={"code": code, "name": f"Bench {code}"},
                  headers={"Idempotency-Key": stack.new_key()})
        code = stack.PARTIES[n % len(stack.PARTIES)]
        read = self.call("party read", "GET", f"/api/v1/parties/{code}", s.admin, 200)
        change = {"name": f"Republic {code} {n}", "bank_accounts": read.get_json().get("bank_accounts", [])}
        self.call("party update (If-Match)", "PUT", f"/api/v1/parties/{code}", s.admin, 200, json=change,
                  headers={"If-Match": read.headers["ETag"]})

    def run(self, rounds: int, warmup: int) -> None:
        for n in range(warmup):
            self.round(n)
        self.counting = True
        for n in range(warmup, warmup + rounds):
            self.round(n)
        self.engine.dispose()


def report(kind: str, bench: Bench, rounds: int) -> None:
    print(f"\n{kind}: {rounds} rounds; load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"  {'step':<28} {'CPU p50 ms':>10} {'CPU mean':>9} {'statements':>11}")
    for step, cpus in bench.cpu.items():
        sql = bench.sql[step]
        counts = f"{min(sql)}" if min(sql) == max(sql) else f"{min(sql)}-{max(sql)}"
        print(f"  {step:<28} {statistics.median(cpus) * 1000:>10.2f} {statistics.mean(cpus) * 1000:>9.2f} "
              f"{counts:>11}")
    if bench.shown is not None:
        print(f"\n  statements of one '{bench.show}':")
        for statement in bench.shown:
            print("    " + statement)
    if bench.profile:
        out = io.StringIO()
        stats = pstats.Stats(bench.profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats("ledger|contracts", 40)
        print(f"\n  profile of '{bench.profile}' ({len(bench.cpu[bench.profile])} requests):")
        print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=None, help="the PostgreSQL server for the scratch database")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", default=None, help="a step's name: cProfile its requests")
    parser.add_argument("--statements", default=None, help="a step's name: print one request's statements")
    args = parser.parse_args(argv)
    for kind in args.databases.split(","):
        with scratch_database(kind, *([args.database_url] if args.database_url else [])) as url:
            bench = Bench(url, args.profile, args.statements)
            bench.run(args.rounds, args.warmup)
            report(kind, bench, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
