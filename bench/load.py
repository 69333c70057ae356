"""Load: partners and officers against gunicorn on 127.0.0.1 with PostgreSQL; throughput, latency percentiles,
the same stack's /api/v1/health ceiling and the ratio; then the journal balances, the chains verify and no
idempotent request was applied twice.

    python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/ledger_load [--duration 30]
        [--users 16] [--workers 4] [--health-seconds 10] [--paced 0.3 | --rate 150]
        [--busy 100000 --busy-import 1000000]

Beside the ratio it prints the CPU each request cost the workers, the PostgreSQL server on this machine and the
load generator (`_CPUMeter`): they share the host's CPUs, so the ratio follows their sum.

The database named in the URL is dropped and recreated. A small threads-and-http.client generator rather
than locust: locust brings gevent (monkey-patching) and a web UI, and this run must also seed, measure the
health ceiling and check the books afterwards in one bounded, scriptable process; at this scale (a few
thousand requests a second on one host) plain threads keep up.

The scenario is a table of steps, each (name, weight, function, path it needs). A step runs only when the
service's OpenAPI document has its path. Before the clock starts, an agreement per host (GB pays AL and RW)
gets a first batch of returnees and an accrued March, so the partners' batches and invoices land on real
agreements; the reconciliation run happens once, half-way through.

With `--busy`, the back office's long writers work the same database through the CLI while each run goes on (a
reconciliation run over that many seeded open invoices and their transfers, a camt.053 import of `--busy-import`
entries, a month close; see `Busy`), the officer's reconciliation run through the API is left to them, and each run
lasts until they have ended.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import signal
import statistics
import subprocess
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
    timeline: list[tuple[float, float, int, str]] = field(default_factory=list)  # (sent, seconds, status, kind)
    lock: threading.Lock = field(default_factory=threading.Lock)
    elapsed: float = 0.0  # the run's seconds and its start (monotonic), once it has run
    clock: float = 0.0
    errors: list[str] = field(default_factory=list)  # steps that raised

    def count(self) -> int:
        return sum(len(v) for v in self.samples.values())

    def record(self, step: str, seconds: float, status: int, expected: set[int], sent: float = 0.0,
               kind: str = "read") -> None:
        with self.lock:
            self.samples[step].append(seconds)
            self.statuses[step][status] += 1
            self.timeline.append((sent, seconds, status, kind))
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
        sent, started = time.monotonic(), time.perf_counter()
        status, headers, body = stack.request(method, self.port, path, token, **kw)
        seconds = time.perf_counter() - started
        expected = set(expected)
        kind = "read"
        if method != "GET":
            kind = _write_answer(status, headers, body)
            if kind == "books_busy":  # the books were busy and the service said so: an answer, not a failure
                expected.add(503)
            with self.results.lock:
                self.results.waits[kind].append(seconds)
        self.results.record(step, seconds, status, expected, sent, kind)
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
@dataclass
class Writer:
    """One of the back office's long writers: a `ledger` command, run as a child process."""

    name: str
    args: tuple[str, ...]
    started: float | None = None  # monotonic
    ended: float | None = None
    status: int | None = None
    said: str = ""
    answer: dict | None = None  # its --json answer, if it printed one


class Busy:
    """The back office at work on the same database while partners call: the issue's three long writers, each a
    `ledger` command in a child process, started when the partners' clock starts.

    - `ledger reconcile` over `transfers` open invoices and about as many booked transfers paying them
      (bench.reconcile_gen's mix, written by bench.reconcile's `load`, as a statement imported earlier);
    - `ledger statements import` of a generated camt.053 of `entries` entries (bench.statements_gen; its account is
      no agreement's, so its transfers wait: this writer is the import itself, which also posts each day's
      movements to the journal, in the month the close closes);
    - `ledger settle close` of the earliest open month (January 2026, then February for the paced run's round).

    The seeding, the statement file and the month to close are made before the clock starts (`seconds_to_seed`).
    On PostgreSQL the three run at once and wait for one another only where they touch the same rows or chain
    heads. On SQLite a writer holds the database's one write lock from its first statement to its commit and a
    command gives up after a 30 s busy timeout, so the three queue one after another (`queued`). A partner's write
    that would wait for them answers 503 `books_busy` with Retry-After within about a second (counted, with the
    longest wait, as an answer, not a failure); any other 5xx or a timeout fails its check. `figures` gives each
    writer's start, wall time, exit status and last line, with the partners' latencies while it ran."""

    def __init__(self, url: str, transfers: int, entries: int, round_: int = 0) -> None:
        import tempfile
        from datetime import date

        from bench import statements_gen
        from bench.reconcile import load
        from bench.reconcile_gen import generate

        started = time.monotonic()
        self.url, self.transfers, self.entries = url, transfers, entries
        self.queued = not url.startswith("postgresql")
        generated = generate(transfers, round_)
        load(url, generated)
        self.file = os.path.join(tempfile.gettempdir(), f"ledger-busy-{entries}-{os.getpid()}-{round_}.xml")
        # Booked in the month the close closes (the import posts each day's movements to the journal): whichever
        # commits first, the other must cope. Another round's statement has other amounts in the next month, so
        # none of its entries is a duplicate.
        statements_gen.write_statement(self.file, entries, seed=7 + round_, start=date(2026, 1 + round_, 3))
        self.period = _earliest_open_period(url)
        self.writers = [Writer(f"reconcile ({transfers:,} open invoices)", ("reconcile", "--json")),
                        Writer(f"statements import ({entries:,} entries)", ("statements", "import", self.file)),
                        Writer(f"settle close {self.period}", ("settle", "close", self.period))]
        self.seconds_to_seed = time.monotonic() - started
        self.threads: list[threading.Thread] = []
        self.children: list[subprocess.Popen] = []

    def _cli(self, writer: Writer) -> None:
        writer.started = time.monotonic()
        # In a session of its own, as a scheduler (cron, a job runner) starts a job: so, like gunicorn's workers
        # (`stack.Gunicorn`), it is a scheduling group of its own on Linux, and the command lowers its group's
        # niceness (`ledger.cli.yield_cpu`) where its own would not rank it against the workers.
        with subprocess.Popen([stack.PYTHON, "-c", "from ledger.cli import main; main()", *writer.args],
                              cwd=stack.ROOT, env=stack.environment(self.url), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True) as child:
            self.children.append(child)
            stdout, stderr = child.communicate()
        writer.ended, writer.status = time.monotonic(), child.returncode
        for line in reversed(stdout.splitlines()):
            if line.startswith("{") and '"auto_matched"' in line:
                writer.answer = json.loads(line)
                break
        if writer.answer:
            a = writer.answer
            writer.said = (f"run {a['id']}: {a['transfers_considered']} transfers and {a['invoices_considered']} "
                           f"invoices considered; {a['auto_matched']} auto matched, {a['proposed']} proposed")
        else:
            lines = [line for line in (stdout + stderr).splitlines()
                     if line.strip() and not line.startswith("{")]
            writer.said = (lines[-1] if lines else "")[:120]

    def start(self) -> None:
        atexit.register(self.stop)  # in sessions of their own, the writers would outlive an interrupted bench
        if self.queued:
            self.threads = [threading.Thread(target=lambda: [self._cli(w) for w in self.writers], daemon=True)]
        else:
            self.threads = [threading.Thread(target=self._cli, args=(w,), daemon=True) for w in self.writers]
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        """End any writer still running (the bench was interrupted): their sessions are not the bench's."""
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)

    def running(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def join(self) -> None:
        for t in self.threads:
            t.join()
        os.unlink(self.file)

    def figures(self, results: Results, clock: float) -> dict:
        """Each writer (its start and end in seconds after `clock`, the partners' clock) with the partners'
        figures while it ran, and the partners' figures while any of them ran."""
        rows = []
        for w in self.writers:
            rows.append({"command": w.name, "start": w.started - clock, "seconds": w.ended - w.started,
                         "status": w.status, "said": w.said, "answer": w.answer,
                         "partners": _window(results, [(w.started, w.ended)])})
        return {"queued": self.queued, "seeded_seconds": self.seconds_to_seed, "writers": rows,
                "while_busy": _window(results, [(w.started, w.ended) for w in self.writers])}

    def checks(self, label: str) -> dict[str, tuple[bool, str]]:
        failed = [f"{w.name}: exit {w.status} ({w.said})" for w in self.writers if w.status != 0]
        run = self.writers[0].answer or {}
        matched = run.get("auto_matched", 0) + run.get("proposed", 0)
        return {
            f"busy books ({label}): every long writer exited 0": (not failed, "; ".join(failed) or ", ".join(
                f"{w.args[0]} {w.ended - w.started:.1f}s" for w in self.writers)),
            f"busy books ({label}): the reconciliation run matched the seeded transfers": (
                matched >= 0.8 * self.transfers,
                f"{matched} matches ({run.get('auto_matched')} auto) for {self.transfers} seeded invoices"),
        }


class _CPUMeter:
    """The CPU seconds per request, from its creation on, of the gunicorn workers, of the PostgreSQL server on this
    machine (none for SQLite) and of this process (the load generator): on a small host the three share its CPUs,
    so the throughput ratio is the ratio of their sums, not of the workers' alone."""

    def __init__(self, server: stack.Gunicorn, url: str) -> None:
        self.server, self.url = server, url
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        now = {"workers": self.server.cpu_seconds(), "generator": time.process_time()}
        database = stack.database_cpu_seconds(self.url)
        if database is not None:
            now["database"] = database
        return now

    def per_request(self, requests: int) -> dict[str, float]:
        now = self._now()
        return {part: (now[part] - self.start[part]) / max(1, requests) for part in now}


def _earliest_open_period(url: str) -> str:
    """Months close in order: the earliest month with postings that is not closed yet."""
    from sqlalchemy import text

    from ledger.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT min(period) FROM postings WHERE period NOT IN "
                                  "(SELECT period FROM periods WHERE status = 'closed')")).scalar()
    engine.dispose()
    return first or "2026-01"


def _window(results: Results, spans: list[tuple[float, float]]) -> dict:
    """The partners' requests sent while one of `spans` (monotonic start, end) lasted: their count and latency
    percentiles, how many answered 5xx other than `books_busy`, how many `books_busy`, and the longest write."""
    inside = [(seconds, status, kind) for sent, seconds, status, kind in results.timeline
              if any(start <= sent < end for start, end in spans)]
    writes = [seconds for seconds, _, kind in inside if kind != "read"]
    return {"n": len(inside), **percentiles([seconds for seconds, _, _ in inside]),
            "5xx": sum(1 for _, status, kind in inside if status >= 500 and kind != "books_busy"),
            "books_busy": sum(1 for _, _, kind in inside if kind == "books_busy"),
            "longest_write_ms": max(writes, default=0.0) * 1000}


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
             spare_codes: list[str] | None = None, books: Busy | None = None) -> tuple[Results, list]:
    """The mix for `seconds`: users send back to back (saturated), or with `rate` (requests per second in all)
    each user waits between its steps so that together they offer that rate (paced; a user that falls behind
    sends at once, so an overloaded service still shows as queueing).

    With `books`, its long writers start with the clock and the mix goes on until they have all ended (at least
    `seconds`); the once-only steps (the officer's reconciliation run through the API) are left to them."""
    active, skipped = available_steps(port)
    results = results or Results()
    agreements = agreements or prepare(port, seeded, results)
    weighted = [s for s in active if s.weight > 0]
    once = [s for s in active if s.weight == 0] if books is None else []
    codes = spare_codes if spare_codes is not None else sorted(
        c.alpha_2 for c in pycountry.countries if c.alpha_2 not in stack.PARTIES)
    if spare_codes is None:
        random.Random(seed).shuffle(codes)
    results.spare_codes = codes
    deadline = time.monotonic() + seconds
    errors: list[str] = []

    def going() -> bool:
        return time.monotonic() < deadline or (books is not None and books.running())

    def user(n: int):
        ctx = Context(port, seeded, results, codes, random.Random(seed * 1000 + n), agreements)
        next_at = time.monotonic() + (ctx.rng.random() * users / rate if rate else 0)
        while going():
            if rate:
                time.sleep(max(0.0, next_at - time.monotonic()))
                if not going():
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
    if books is not None:
        books.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.elapsed = time.monotonic() - started
    results.clock = started
    if books is not None:
        books.join()
    results.errors = errors
    results.agreements = agreements
    return results, skipped


def run(database_url: str, duration: float, users: int, workers: int, health_seconds: float,
        paced: float = 0.0, busy: int = 0, busy_import: int | None = None, only_paced: bool = False,
        rate: float | None = None) -> dict:
    """The saturated run (and with `paced`, a second run offered paced × the health ceiling, or `rate` requests a
    second if given: the health ceiling moves from run to run with the host, a fixed rate does not), then the checks.

    With `busy` (open invoices to reconcile), the books are busy during each run (see `Busy`): a reconciliation
    run over `busy` seeded invoices and their transfers, an import of a camt.053 of `busy_import` entries (by
    default `busy`) and a month close; each run lasts until they have ended. The paced run gets a round of its
    own, seeded after the saturated one. With `only_paced` the saturated run is left out (the health ceiling is
    still measured, to pace by): the busy books at full size take minutes a round."""
    stack.fresh_database(database_url)
    seeded = stack.seed(database_url)
    paced_figures, busy_checks = None, {}
    entries = busy if busy_import is None else busy_import
    books = Busy(database_url, busy, entries) if busy and not only_paced else None
    with stack.running(database_url, workers=workers) as server:
        counted: list[int] = []
        meter = _CPUMeter(server, database_url)
        ceiling = health_ceiling(server.port, users, health_seconds, counted)
        health_cpu = meter.per_request(counted[0])
        results = Results()
        agreements = prepare(server.port, seeded, results) if books or only_paced else None  # before the writers
        results.spare_codes = _spare_codes(database_url)
        meter = _CPUMeter(server, database_url)
        if not only_paced:
            results, skipped = scenario(server.port, seeded, users, duration, agreements=agreements,
                                        results=results, spare_codes=results.spare_codes, books=books)
        mix_cpu = meter.per_request(results.count()) if not only_paced else {"workers": 0.0}
        busy_figures = books.figures(results, results.clock) if books else None
        busy_checks.update(books.checks("saturated run") if books else {})
        if paced or rate:
            offered = rate or paced * ceiling
            calm = Results()
            # not timed: between the runs
            quiet = Busy(database_url, busy, entries, round_=0 if only_paced else 1) if busy else None
            taken = _party_codes(database_url)
            calm, skipped = scenario(server.port, seeded, users, duration, rate=offered,
                                     agreements=results.agreements or agreements, results=calm, books=quiet,
                                     spare_codes=[c for c in results.spare_codes if c not in taken])
            paced_figures = _paced(calm, offered / ceiling, offered)
            if quiet:
                paced_figures["busy"] = quiet.figures(calm, calm.clock)
                busy_checks.update(quiet.checks("paced run"))
            results.keyed.update(calm.keyed)
            results.batches.update(calm.batches)
            results.invoices.update(calm.invoices)
            results.unexpected += calm.unexpected
            results.errors += calm.errors
            results.run = results.run or calm.run  # with --only-paced, the paced run's is the one
        locked = server.log.read_text(errors="replace").count("database is locked")
    everything = [v for values in results.samples.values() for v in values]
    throughput = len(everything) / results.elapsed if everything else 0.0
    checks = {
        "journal balances": stack.journal_balances(database_url),
        "chains verify": stack.chains_verify(database_url),
        "idempotent requests applied once": stack.applied_once(database_url, results.keyed),
        "returnee batches applied once": stack.batches_applied_once(database_url, results.batches),
        "invoices applied once": stack.invoices_applied_once(database_url, results.invoices),
        **({} if busy else {"reconciliation run in the middle": (
            results.run is not None, "run " + (json.dumps({k: results.run[k] for k in (
                "id", "auto_matched", "proposed", "invoices_considered", "duration_ms")})
                                                if results.run else "did not answer 201"))}),
        **busy_checks,
        "no 5xx / unexpected status": (not results.unexpected and not results.errors,
                                       f"{len(results.unexpected)} unexpected, {len(results.errors)} step errors"),
        "no 'database is locked'": (locked == 0, f"{locked} in the service's log"),
    }
    return {
        "database": database_url.split("@")[-1].split("///")[-1], "users": users, "workers": workers,
        "only_paced": only_paced, "seconds": results.elapsed, "requests": len(everything), "throughput": throughput,
        **percentiles(everything),
        "health_ceiling": ceiling, "ratio": throughput / ceiling if ceiling else 0.0,
        "cpu_ms_health": health_cpu["workers"] * 1000, "cpu_ms_request": mix_cpu["workers"] * 1000,
        "cpu_ratio": health_cpu["workers"] / mix_cpu["workers"] if mix_cpu["workers"] else 0.0,
        "cpu_ms": {"health": {k: v * 1000 for k, v in health_cpu.items()},
                   "mix": {k: v * 1000 for k, v in mix_cpu.items()}},
        "per_step": {name: {"n": len(v), **percentiles(v), "statuses": dict(results.statuses[name])}
                     for name, v in sorted(results.samples.items())},
        "paced": paced_figures, "busy": busy_figures, "load_average": os.getloadavg(),
        "writes": {kind: {"n": len(v), "max_ms": max(v) * 1000} for kind, v in sorted(results.waits.items())},
        "skipped_steps": skipped, "checks": checks, "unexpected": results.unexpected[:10],
        "errors": results.errors[:10],
    }


def _paced(results: Results, fraction: float, offered: float) -> dict:
    everything = [v for values in results.samples.values() for v in values]
    reads = [v for name, values in results.samples.items() if name in results.reads for v in values]
    return {"fraction": fraction, "offered": offered, "requests": len(everything),
            "seconds": results.elapsed, "throughput": len(everything) / results.elapsed, **percentiles(everything),
            "reads": percentiles(reads),
            "per_step": {name: {"n": len(v), **percentiles(v), "statuses": dict(results.statuses[name])}
                         for name, v in sorted(results.samples.items())},
            "writes": {kind: {"n": len(v), "max_ms": max(v) * 1000} for kind, v in sorted(results.waits.items())}}


def _party_codes(url: str) -> set[str]:
    from sqlalchemy import text

    from ledger.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        codes = set(conn.execute(text("SELECT code FROM parties")).scalars())
    engine.dispose()
    return codes


def _spare_codes(url: str, seed: int = 7) -> list[str]:
    """Country codes no party has yet (the busy books' seeding takes some), in a seeded order: what the admin's
    creations use."""
    taken = _party_codes(url) | set(stack.PARTIES)
    codes = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in taken)
    random.Random(seed).shuffle(codes)
    return codes


def report(figures: dict) -> None:
    saturated = "no saturated run" if figures["only_paced"] else (
        f"{figures['requests']} requests in {figures['seconds']:.1f}s")
    print(f"load: {saturated} from {figures['users']} users against {figures['workers']} gunicorn workers "
          f"({figures['database']}); load average " + " ".join(f"{x:.2f}" for x in figures["load_average"]))
    if figures["only_paced"]:
        print(f"  saturated run: left out (--only-paced); /api/v1/health ceiling {figures['health_ceiling']:.0f} "
              f"req/s, workers' CPU per health check {figures['cpu_ms_health']:.2f} ms")
    else:
        _saturated(figures)
    paced = figures.get("paced")
    if paced:
        print(f"  paced at {paced['fraction']:.2f} × the ceiling ({paced['offered']:.0f} req/s offered): "
              f"{paced['requests']} requests in {paced['seconds']:.1f}s, {paced['throughput']:.0f} req/s, "
              f"p50 {paced['p50']:.1f} ms, p95 {paced['p95']:.1f} ms, p99 {paced['p99']:.1f} ms; "
              f"reads p50 {paced['reads']['p50']:.1f} ms, p99 {paced['reads']['p99']:.1f} ms")
        _details("paced run", paced)
    for name in figures["skipped_steps"]:
        print(f"  skipped: {name} (its endpoint is not in the OpenAPI document yet)")
    for name, (ok, detail) in figures["checks"].items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    for line in figures["unexpected"] + figures["errors"]:
        print(f"  ! {line}")


def _saturated(figures: dict) -> None:
    print(f"  throughput {figures['throughput']:.0f} req/s   p50 {figures['p50']:.1f} ms   "
          f"p95 {figures['p95']:.1f} ms   p99 {figures['p99']:.1f} ms")
    print(f"  /api/v1/health ceiling {figures['health_ceiling']:.0f} req/s   ratio {figures['ratio']:.2f}")
    print(f"  workers' CPU per request: health {figures['cpu_ms_health']:.2f} ms, "
          f"the mix {figures['cpu_ms_request']:.2f} "
          f"ms (CPU ratio health/mix {figures['cpu_ratio']:.2f})")
    if figures["busy"] is None:  # with busy books, the database's CPU would be the long writers' too
        _all_cpu(figures["cpu_ms"]["health"], figures["cpu_ms"]["mix"])
    _details("saturated run", figures)


def _all_cpu(health: dict, mix: dict) -> None:
    parts = [part for part in ("workers", "database", "generator") if part in mix]
    print("  all CPU per request, ms (" + " + ".join(parts) + "): health "
          + " + ".join(f"{health[p]:.2f}" for p in parts) + f" = {sum(health[p] for p in parts):.2f}, the mix "
          + " + ".join(f"{mix[p]:.2f}" for p in parts) + f" = {sum(mix[p] for p in parts):.2f} "
          f"(ratio {sum(health[p] for p in parts) / max(1e-9, sum(mix[p] for p in parts)):.2f})")


def _details(label: str, run: dict) -> None:
    """A run's figures per step, how its writes were answered and, with busy books, per long writer."""
    _steps(run["per_step"])
    _writes(label, run.get("writes"))
    if run.get("busy"):
        _busy(f"the {label}", run["busy"])


def _writes(label: str, writes: dict | None) -> None:
    if writes:
        print(f"  writes answered ({label}): " + ", ".join(
            f"{kind} {row['n']} (longest {row['max_ms']:.0f} ms)" for kind, row in writes.items()))


def _busy(label: str, busy: dict) -> None:
    how = ("one after another: SQLite has one writer at a time" if busy["queued"] else "all three at once")
    print(f"  busy books during {label} ({how}; seeded beforehand in {busy['seeded_seconds']:.1f} s, not timed):")
    print(f"    {'long writer':<38} {'start':>6} {'wall':>7} {'exit':>4}  partners meanwhile: "
          f"{'n':>6} {'p50':>6} {'p95':>6} {'p99':>6} ms  5xx  books_busy  longest write")
    for row in busy["writers"] + [{"command": "while any of them ran", **_span(busy)}]:
        p = row["partners"]
        exit_status = "" if row.get("status") is None else row["status"]
        print(f"    {row['command']:<38} {row['start']:>5.1f}s {row['seconds']:>6.1f}s {exit_status:>4}  "
              f"{'':<20}{p['n']:>6} {p['p50']:>6.1f} {p['p95']:>6.1f} {p['p99']:>6.1f}    {p['5xx']:>4}  "
              f"{p['books_busy']:>10}  {p['longest_write_ms']:>9.0f} ms")
    for row in busy["writers"]:
        print(f"      {row['command']}: {row['said']}")


def _span(busy: dict) -> dict:
    start = min(row["start"] for row in busy["writers"])
    end = max(row["start"] + row["seconds"] for row in busy["writers"])
    return {"start": start, "seconds": end - start, "status": None, "partners": busy["while_busy"]}


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
    parser.add_argument("--rate", type=float, default=None, metavar="REQUESTS",
                        help="pace the second run at this many requests a second instead (runs then compare)")
    parser.add_argument("--busy", type=int, default=0, metavar="INVOICES",
                        help="busy books, through the CLI while each run goes on: a reconciliation run over INVOICES "
                             "seeded open invoices and about as many transfers paying them, a camt.053 import and a "
                             "month close (each run lasts until they have ended)")
    parser.add_argument("--busy-import", type=int, default=None, metavar="ENTRIES",
                        help="entries of the busy books' camt.053 import (default: as many as --busy)")
    parser.add_argument("--only-paced", action="store_true",
                        help="leave the saturated run out "
                             "(with --paced or --rate; the health ceiling is still measured)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.only_paced and not (args.paced or args.rate):
        parser.error("--only-paced needs --paced or --rate")
    figures = run(args.database_url, args.duration, args.users, args.workers, args.health_seconds, args.paced,
                  args.busy, args.busy_import, args.only_paced, args.rate)
    report(figures)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2, default=str)
    return 0 if all(ok for ok, _ in figures["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
