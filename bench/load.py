"""Load: partners and officers against gunicorn on 127.0.0.1 with PostgreSQL; throughput, latency percentiles,
the same stack's /api/v1/health ceiling and the ratio; then the journal balances, the chains verify and no
idempotent request was applied twice.

    python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/ledger_load [--duration 30]
        [--users 16] [--workers 4] [--health-seconds 10]

The database named in the URL is dropped and recreated. A small threads-and-http.client generator rather
than locust: locust brings gevent (monkey-patching) and a web UI, and this run must also seed, measure the
health ceiling and check the books afterwards in one bounded, scriptable process; at this scale (a few
thousand requests a second on one host) plain threads keep up.

The scenario is a table of steps, each (name, weight, function, path it needs). A step runs only when the
service's OpenAPI document has its path. Before the clock starts, an agreement per host (GB pays AL and RW)
gets a first batch of returnees and an accrued March, so the partners' batches and invoices land on real
agreements; the reconciliation run happens once, half-way through.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pycountry

from bench import stack


@dataclass
class Results:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    unexpected: list[str] = field(default_factory=list)
    keyed: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> party code
    batches: dict[str, tuple] = field(default_factory=dict)  # key -> (agreement id, size, answered 200)
    invoices: dict[str, tuple] = field(default_factory=dict)  # key -> (number, answered 201)
    run: dict | None = None
    reads: set[str] = field(default_factory=set)  # the steps that are GETs
    agreements: dict[str, int] = field(default_factory=dict)
    spare_codes: list[str] = field(default_factory=list)
    waits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # write answers by kind
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        return sum(len(v) for v in self.samples.values())

    def record(self, step: str, seconds: float, status: int, expected: set[int]) -> None:
        with self.lock:
            self.samples[step].append(seconds)
            self.statuses[step][status] += 1
            if status not in expected:
                self.unexpected.append(f"{step}: {status}")


@dataclass
class Context:
    port: int
    seeded: stack.Seeded
    results: Results
    spare_codes: list[str]
    rng: random.Random
    agreements: dict[str, int] = field(default_factory=dict)
    sent: int = 0

    def call(self, step, method, path, token, expected=frozenset({200}), **kw):
        self.sent += 1
        started = time.perf_counter()
        status, headers, body = stack.request(method, self.port, path, token, **kw)
        seconds = time.perf_counter() - started
        expected = set(expected)
        if method != "GET":
            kind = _write_answer(status, headers, body)
            if kind == "books_busy":  # the books were busy and the service said so: an answer, not a failure
                expected.add(503)
            with self.results.lock:
                self.results.waits[kind].append(seconds)
        self.results.record(step, seconds, status, expected)
        if method == "GET":
            self.results.reads.add(step)
        return status, headers, body


def _write_answer(status: int, headers: dict, body: bytes) -> str:
    """What a write was answered: `books_busy` (503 with Retry-After: a long writer holds the books), `409` (a
    conflict: the same key in flight, a stale If-Match), `done` (anything else)."""
    if status == 503 and "Retry-After" in headers:
        try:
            code = json.loads(body).get("code")
        except ValueError:
            code = None
        return "books_busy" if code == "books_busy" else "503"
    return "409" if status == 409 else "done"


# --------------------------------------------------------------------------------------------------- steps
def partner_reads(ctx: Context) -> None:
    code = ctx.rng.choice(stack.PARTIES)
    token = ctx.seeded.partners[code]
    ctx.call("partner: accounts", "GET", "/api/v1/accounts?limit=50", token)
    ctx.call("partner: entries", "GET", "/api/v1/journal/entries?limit=50", token)
    ctx.call("partner: own party", "GET", f"/api/v1/parties/{code}", token)


def officer_lists(ctx: Context) -> None:
    s = ctx.seeded
    ctx.call("officer: parties", "GET", "/api/v1/parties?limit=100", s.officer)
    ctx.call("officer: accounts", "GET", "/api/v1/accounts?purpose=obligations", s.officer)
    ctx.call("officer: entries", "GET", f"/api/v1/journal/entries?period=2026-0{ctx.rng.randint(1, 9)}", s.officer)
    ctx.call("auditor: audit log", "GET", "/api/v1/audit?limit=100", s.auditor)


def admin_creates_party(ctx: Context) -> None:
    """A create with an Idempotency-Key, then the same request again as a client retrying would."""
    with ctx.results.lock:
        if not ctx.spare_codes:
            return
        code = ctx.spare_codes.pop()
    key = stack.new_key()
    ctx.results.keyed[key] = code
    body = {"code": code, "name": f"Bench {code}"}
    ok = {201, 409}  # 409 idempotency_in_flight when the retry overtakes the first
    ctx.call("admin: create party", "POST", "/api/v1/parties", ctx.seeded.admin, ok, body=body,
             headers={"Idempotency-Key": key})
    ctx.call("admin: create party (retry)", "POST", "/api/v1/parties", ctx.seeded.admin, ok, body=body,
             headers={"Idempotency-Key": key})


def admin_updates_party(ctx: Context) -> None:
    code = ctx.rng.choice(stack.PARTIES)
    status, headers, body = ctx.call("admin: read party", "GET", f"/api/v1/parties/{code}", ctx.seeded.admin)
    if status != 200:
        return
    data = json.loads(body)
    change = {"name": f"Republic {code} {ctx.rng.randint(1, 10**6)}", "bank_accounts": data.get("bank_accounts", [])}
    ctx.call("admin: update party", "PUT", f"/api/v1/parties/{code}", ctx.seeded.admin, {200, 412, 409},
             body=change, headers={"If-Match": headers.get("ETag", "")})


TERMS = {"per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 3},
         "payment_terms_days": 30, "tolerance": {"absolute": "50.00", "percent": "0.5"}}
HOSTS = ("AL", "RW")  # GB pays both; each host submits returnees and invoices under its agreement
BATCH = 25


def prepare(port: int, seeded: stack.Seeded, results: Results) -> dict[str, int]:
    """An agreement per host (GB pays), a first batch of returnees each, and March accrued: what the partners'
    steps submit under."""
    agreements = {}
    for host in HOSTS:
        body = {"reference": f"GB-{host}-LOAD", "kind": "return_hub", "payer": "GB", "payee": host,
                "currency": "GBP", "signed_on": "2026-01-15", "effective_from": "2026-01-01",
                "effective_to": "2030-12-31", "terms": TERMS}
        status, _, answer = stack.request("POST", port, "/api/v1/agreements", seeded.admin, body=body)
        assert status == 201, answer
        agreements[host] = json.loads(answer)["id"]
        key = stack.new_key()
        status, _, answer = stack.request("POST", port, f"/api/v1/agreements/{agreements[host]}/returnees/batch",
                                          seeded.partners[host], body={"items": _people(BATCH, "2026-03-02")},
                                          headers={"Idempotency-Key": key})
        assert status == 200, answer
        results.batches[key] = (agreements[host], BATCH, True)
        status, _, answer = stack.request("POST", port, f"/api/v1/agreements/{agreements[host]}/accrue",
                                          seeded.officer, body={"period": "2026-03"})
        assert status == 200, answer
    return agreements


def _people(n: int, day: str) -> list[dict]:
    return [{"case_ref": f"LOAD-{uuid.uuid4().hex[:20]}", "transferred_on": day, "accepted_on": day,
             "nationality": "ERI"} for _ in range(n)]


def submit_returnees(ctx: Context) -> None:
    """A host submits a batch of returnees under an Idempotency-Key, then retries it as a client whose answer
    was lost would: the batch must be applied once."""
    host = ctx.rng.choice(HOSTS)
    agreement = ctx.agreements[host]
    key = stack.new_key()
    body = {"items": _people(BATCH, f"2026-04-{ctx.rng.randint(1, 28):02d}")}
    path = f"/api/v1/agreements/{agreement}/returnees/batch"
    ok = {200, 409}  # 409 idempotency_in_flight when the retry overtakes the first
    first = ctx.call("partner: returnee batch", "POST", path, ctx.seeded.partners[host], ok, body=body,
                     headers={"Idempotency-Key": key})[0]
    again = ctx.call("partner: returnee batch (retry)", "POST", path, ctx.seeded.partners[host], ok, body=body,
                     headers={"Idempotency-Key": key})[0]
    with ctx.results.lock:
        ctx.results.batches[key] = (agreement, BATCH, 200 in (first, again))
    ctx.call("partner: returnees list", "GET", f"/api/v1/agreements/{agreement}/returnees?limit=50",
             ctx.seeded.partners[host])


def submit_invoices(ctx: Context) -> None:
    """A host invoices March (an adjustment line: no obligation to match), keyed and retried; the payer and an
    officer read the invoice lists, and the officer approves half of them (the payable is posted)."""
    host = ctx.rng.choice(HOSTS)
    key, number = stack.new_key(), f"{host}-LOAD-{uuid.uuid4().hex[:12]}"
    amount = f"{ctx.rng.randint(100, 99_999)}.{ctx.rng.randint(0, 99):02d}"
    body = {"agreement": f"GB-{host}-LOAD", "number": number, "issued_on": "2026-04-02", "due_on": "2026-05-02",
            "currency": "GBP", "period": "2026-03", "payment_reference": "RF18539007547034", "total": amount,
            "lines": [{"kind": "adjustment", "amount": amount}]}
    ok = {201, 409}
    first, _, answer = ctx.call("partner: submit invoice", "POST", "/api/v1/invoices", ctx.seeded.partners[host],
                                ok, body=body, headers={"Idempotency-Key": key})
    again = ctx.call("partner: submit invoice (retry)", "POST", "/api/v1/invoices", ctx.seeded.partners[host], ok,
                     body=body, headers={"Idempotency-Key": key})[0]
    with ctx.results.lock:
        ctx.results.invoices[key] = (number, 201 in (first, again))
    ctx.call("partner: invoices list", "GET", "/api/v1/invoices?limit=50", ctx.seeded.partners["GB"])
    ctx.call("officer: invoices list", "GET", "/api/v1/invoices?status=accepted&limit=100", ctx.seeded.officer)
    if first == 201 and ctx.rng.random() < 0.5:  # an officer approves half of them: a payable is posted
        invoice = json.loads(answer)["id"]
        ctx.call("officer: approve invoice", "POST", f"/api/v1/invoices/{invoice}/approve", ctx.seeded.officer,
                 {200, 409}, body={"overrides": [{"line": "1", "reason": "load bench: agreed adjustment"}]})


def reconciliation_run(ctx: Context) -> None:
    """One reconciliation run by an officer, half-way through the load, then its matches listed."""
    status, _, body = ctx.call("officer: reconciliation run", "POST", "/api/v1/reconciliation/runs",
                               ctx.seeded.officer, {201}, body={})
    if status == 201:
        ctx.results.run = json.loads(body)
    ctx.call("officer: matches list", "GET", "/api/v1/reconciliation/matches?limit=100", ctx.seeded.officer)


@dataclass(frozen=True)
class Step:
    name: str
    weight: int  # 0: runs once, half-way through
    run: Callable[[Context], None]
    needs: str  # a path fragment the OpenAPI document must contain


STEPS = [
    Step("partner reads", 6, partner_reads, "/api/v1/journal/entries"),
    Step("officer lists", 3, officer_lists, "/api/v1/audit"),
    Step("admin creates party (idempotent)", 1, admin_creates_party, "/api/v1/parties"),
    Step("admin updates party (If-Match)", 1, admin_updates_party, "/api/v1/parties/{code}"),
    Step("partners submit returnees", 4, submit_returnees, "/returnees"),
    Step("hosts submit invoices", 2, submit_invoices, "/invoices"),
    Step("reconciliation run", 0, reconciliation_run, "/reconciliation"),
]


def available_steps(port: int) -> tuple[list[Step], list[str]]:
    paths = list(json.loads(stack.request("GET", port, "/api/v1/openapi.json")[2])["paths"])
    active, skipped = [], []
    for step in STEPS:
        (active if any(step.needs in p for p in paths) else skipped).append(step)
    return active, [s.name for s in skipped]


# ------------------------------------------------------------------------------------------------ busy books
class Busy:
    """The back office at work on the same database while partners call: `ledger statements import` of a generated
    camt.053 (bench.statements_gen) of `entries` entries, then `ledger reconcile` over what it brought, then
    `ledger settle close` of the earliest open month. Each command's wall
    time, exit status and last line are reported beside the partners' latencies; what they do to the partners shows
    in the saturated run's per-step figures and statuses, and in how its writes were answered: a write that would
    wait for them answers 503 `books_busy` with Retry-After within about a second (counted, with the longest wait,
    as an answer, not a failure); any other 5xx or a timeout fails its check."""

    def __init__(self, url: str, entries: int) -> None:
        import tempfile

        from bench import statements_gen

        self.url, self.rows = url, []
        self.file = os.path.join(tempfile.gettempdir(), f"ledger-busy-{entries}-{os.getpid()}.xml")
        statements_gen.write_statement(self.file, entries)
        self.thread = threading.Thread(target=self._work, daemon=True)

    def _cli(self, *args: str) -> None:
        import subprocess

        started = time.monotonic()
        done = subprocess.run([stack.PYTHON, "-c", "from ledger.cli import main; main()", *args], cwd=stack.ROOT,
                              env=stack.environment(self.url), capture_output=True, text=True, check=False)
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip() and not line.startswith("{")]
        self.rows.append({"command": " ".join(args[:2]), "seconds": time.monotonic() - started,
                          "status": done.returncode, "said": (lines[-1] if lines else "")[:120]})

    def _work(self) -> None:
        self._cli("statements", "import", self.file)
        self._cli("reconcile")
        from sqlalchemy import text

        from ledger.db import make_engine

        engine = make_engine(self.url)  # months close in order: the earliest open one
        with engine.connect() as conn:
            first = conn.execute(text("SELECT min(period) FROM postings WHERE period NOT IN "
                                      "(SELECT period FROM periods WHERE status = 'closed')")).scalar()
        engine.dispose()
        self._cli("settle", "close", first or "2026-01")

    def start(self) -> None:
        self.thread.start()

    def join(self) -> None:
        self.thread.join()
        os.unlink(self.file)

    def figures(self) -> list[dict]:
        return self.rows


# ------------------------------------------------------------------------------------------------ the run
def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50": values[0] * 1000 if values else 0.0, "p95": 0.0, "p99": 0.0}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000}


def health_ceiling(port: int, users: int, seconds: float, counted: list | None = None) -> float:
    """Requests per second /api/v1/health answers with `users` sending back to back; `counted` gets the count."""
    count, lock, deadline = [0], threading.Lock(), time.monotonic() + seconds

    def hammer():
        n = 0
        while time.monotonic() < deadline:
            if stack.request("GET", port, "/api/v1/health")[0] == 200:
                n += 1
        with lock:
            count[0] += n

    threads = [threading.Thread(target=hammer) for _ in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if counted is not None:
        counted.append(count[0])
    return count[0] / (time.monotonic() - started)


def scenario(port: int, seeded: stack.Seeded, users: int, seconds: float, seed: int = 7, rate: float | None = None,
             agreements: dict[str, int] | None = None, results: Results | None = None,
             spare_codes: list[str] | None = None) -> tuple[Results, list]:
    """The mix for `seconds`: users send back to back (saturated), or with `rate` (requests per second in all)
    each user waits between its steps so that together they offer that rate (paced; a user that falls behind
    sends at once, so an overloaded service still shows as queueing)."""
    active, skipped = available_steps(port)
    results = results or Results()
    agreements = agreements or prepare(port, seeded, results)
    weighted = [s for s in active if s.weight > 0]
    once = [s for s in active if s.weight == 0]
    codes = spare_codes if spare_codes is not None else sorted(
        c.alpha_2 for c in pycountry.countries if c.alpha_2 not in stack.PARTIES)
    if spare_codes is None:
        random.Random(seed).shuffle(codes)
    results.spare_codes = codes
    deadline = time.monotonic() + seconds
    errors: list[str] = []

    def user(n: int):
        ctx = Context(port, seeded, results, codes, random.Random(seed * 1000 + n), agreements)
        next_at = time.monotonic() + (ctx.rng.random() * users / rate if rate else 0)
        while time.monotonic() < deadline:
            if rate:
                time.sleep(max(0.0, next_at - time.monotonic()))
                if time.monotonic() >= deadline:
                    break
            step = ctx.rng.choices(weighted, [s.weight for s in weighted])[0]
            before = ctx.sent
            try:
                step.run(ctx)
            except Exception as error:  # noqa: BLE001 - a failed step is reported, the run goes on
                errors.append(f"{step.name}: {type(error).__name__}: {error}")
            if rate:  # this user's share of the rate, for the requests the step sent
                next_at = max(next_at + max(1, ctx.sent - before) * users / rate, time.monotonic() - 1)

    def middle():
        time.sleep(seconds / 2)
        for step in once:
            try:
                step.run(Context(port, seeded, results, codes, random.Random(seed), agreements))
            except Exception as error:  # noqa: BLE001 - reported with the figures
                errors.append(f"{step.name}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)] + [threading.Thread(target=middle)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.elapsed = time.monotonic() - started
    results.errors = errors
    results.agreements = agreements
    return results, skipped


def run(database_url: str, duration: float, users: int, workers: int, health_seconds: float,
        paced: float = 0.0, busy: int = 0) -> dict:
    """The saturated run (and with `paced`, a second run offered paced × the health ceiling), then the checks.
    With `busy` (entries), the books are busy during the saturated run (see `Busy`)."""
    stack.fresh_database(database_url)
    seeded = stack.seed(database_url)
    paced_figures = None
    books = Busy(database_url, busy) if busy else None
    with stack.running(database_url, workers=workers) as server:
        counted: list[int] = []
        cpu = server.cpu_seconds()
        ceiling = health_ceiling(server.port, users, health_seconds, counted)
        health_cpu = (server.cpu_seconds() - cpu) / max(1, counted[0])
        cpu = server.cpu_seconds()
        if books:
            books.start()
        results, skipped = scenario(server.port, seeded, users, duration)
        mix_cpu = (server.cpu_seconds() - cpu) / max(1, results.count())
        if books:
            books.join()
        if paced:
            calm = Results()
            calm, _ = scenario(server.port, seeded, users, duration, rate=paced * ceiling,
                               agreements=results.agreements, results=calm, spare_codes=results.spare_codes)
            paced_figures = _paced(calm, paced, ceiling)
            results.keyed.update(calm.keyed)
            results.batches.update(calm.batches)
            results.invoices.update(calm.invoices)
            results.unexpected += calm.unexpected
            results.errors += calm.errors
        locked = server.log.read_text(errors="replace").count("database is locked")
    everything = [v for values in results.samples.values() for v in values]
    throughput = len(everything) / results.elapsed
    checks = {
        "journal balances": stack.journal_balances(database_url),
        "chains verify": stack.chains_verify(database_url),
        "idempotent requests applied once": stack.applied_once(database_url, results.keyed),
        "returnee batches applied once": stack.batches_applied_once(database_url, results.batches),
        "invoices applied once": stack.invoices_applied_once(database_url, results.invoices),
        "reconciliation run in the middle": (results.run is not None,
                                             "run " + (json.dumps({k: results.run[k] for k in (
                                                 "id", "auto_matched", "proposed", "invoices_considered",
                                                 "duration_ms")}) if results.run else "did not answer 201")),
        "no 5xx / unexpected status": (not results.unexpected and not results.errors,
                                       f"{len(results.unexpected)} unexpected, {len(results.errors)} step errors"),
        "no 'database is locked'": (locked == 0, f"{locked} in the service's log"),
    }
    return {
        "database": database_url.split("@")[-1].split("///")[-1], "users": users, "workers": workers,
        "seconds": results.elapsed, "requests": len(everything), "throughput": throughput, **percentiles(everything),
        "health_ceiling": ceiling, "ratio": throughput / ceiling if ceiling else 0.0,
        "cpu_ms_health": health_cpu * 1000, "cpu_ms_request": mix_cpu * 1000,
        "cpu_ratio": health_cpu / mix_cpu if mix_cpu else 0.0,
        "per_step": {name: {"n": len(v), **percentiles(v), "statuses": dict(results.statuses[name])}
                     for name, v in sorted(results.samples.items())},
        "paced": paced_figures, "busy": books.figures() if books else None, "load_average": os.getloadavg(),
        "writes": {kind: {"n": len(v), "max_ms": max(v) * 1000} for kind, v in sorted(results.waits.items())},
        "skipped_steps": skipped, "checks": checks, "unexpected": results.unexpected[:10],
        "errors": results.errors[:10],
    }


def _paced(results: Results, fraction: float, ceiling: float) -> dict:
    everything = [v for values in results.samples.values() for v in values]
    reads = [v for name, values in results.samples.items() if name in results.reads for v in values]
    return {"fraction": fraction, "offered": fraction * ceiling, "requests": len(everything),
            "throughput": len(everything) / results.elapsed, **percentiles(everything),
            "reads": percentiles(reads),
            "per_step": {name: {"n": len(v), **percentiles(v), "statuses": dict(results.statuses[name])}
                         for name, v in sorted(results.samples.items())}}


def report(figures: dict) -> None:
    print(f"load: {figures['requests']} requests in {figures['seconds']:.1f}s from {figures['users']} users "
          f"against {figures['workers']} gunicorn workers ({figures['database']}); load average "
          + " ".join(f"{x:.2f}" for x in figures["load_average"]))
    print(f"  throughput {figures['throughput']:.0f} req/s   p50 {figures['p50']:.1f} ms   "
          f"p95 {figures['p95']:.1f} ms   p99 {figures['p99']:.1f} ms")
    print(f"  /api/v1/health ceiling {figures['health_ceiling']:.0f} req/s   ratio {figures['ratio']:.2f}")
    print(f"  workers' CPU per request: health {figures['cpu_ms_health']:.2f} ms, "
          f"the mix {figures['cpu_ms_request']:.2f} "
          f"ms (CPU ratio health/mix {figures['cpu_ratio']:.2f})")
    _steps(figures["per_step"])
    paced = figures.get("paced")
    if paced:
        print(f"  paced at {paced['fraction']:.2f} × the ceiling ({paced['offered']:.0f} req/s offered): "
              f"{paced['requests']} requests, {paced['throughput']:.0f} req/s, p50 {paced['p50']:.1f} ms, "
              f"p95 {paced['p95']:.1f} ms, p99 {paced['p99']:.1f} ms; reads p50 {paced['reads']['p50']:.1f} ms, "
              f"p99 {paced['reads']['p99']:.1f} ms")
        _steps(paced["per_step"])
    if figures.get("busy"):
        print("  busy books during the saturated run (command, seconds, exit status, last line):")
        for row in figures["busy"]:
            print(f"    {row['command']:<40} {row['seconds']:>7.1f} s  exit {row['status']}  {row['said']}")
    writes = figures.get("writes") or {}
    if writes:
        print("  writes answered (saturated run): " + ", ".join(
            f"{kind} {row['n']} (longest {row['max_ms']:.0f} ms)" for kind, row in writes.items()))
    for name in figures["skipped_steps"]:
        print(f"  skipped: {name} (its endpoint is not in the OpenAPI document yet)")
    for name, (ok, detail) in figures["checks"].items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    for line in figures["unexpected"] + figures["errors"]:
        print(f"  ! {line}")


def _steps(per_step: dict) -> None:
    print(f"    {'step':<32} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for name, row in per_step.items():
        print(f"    {name:<32} {row['n']:>6} {row['p50']:>8.1f} {row['p95']:>8.1f} {row['p99']:>8.1f}  "
              f"{row['statuses']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/ledger_load")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--health-seconds", type=float, default=10)
    parser.add_argument("--paced", type=float, default=0.0,
                        help="then a second run offered this fraction of the health ceiling (e.g. 0.3)")
    parser.add_argument("--busy", type=int, default=0, metavar="ENTRIES",
                        help="busy books: a camt.053 of ENTRIES entries imported, a reconciliation run and a month "
                             "close, through the CLI, while the saturated run goes on")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures = run(args.database_url, args.duration, args.users, args.workers, args.health_seconds, args.paced,
                  args.busy)
    report(figures)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2, default=str)
    return 0 if all(ok for ok, _ in figures["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
