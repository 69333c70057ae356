"""Where a request's CPU goes: py-spy samples every gunicorn worker while the `bench.load` mix runs (`--gil`: only
a worker running Python counts, not one waiting on its database or its client), and each
sample is put in one phase of the request (auth and token lookup, rate limiter, session/transaction setup,
idempotency, audit, query, serialisation, metrics, logging, the HTTP framework).

    python -m bench.profile [--database-url sqlite:////tmp/ledger-profile.sqlite3] [--duration 20] [--users 16]
        [--workers 4] [--rate 250] [--warmup 5] [--raw out.txt]

Needs `py-spy` (pip install py-spy) and the right to trace the workers (root, or ptrace_scope 0). The database
named in the URL is dropped and recreated, as by `bench.load`. Prints a table: the share of the workers' CPU
samples in each phase and the CPU milliseconds per request it stands for (samples / rate / requests).

How a sample is placed: a stack is read from the outside in, and the first frame that belongs to one of the
ledger's own request phases decides (the token lookup's query counts as auth, the audit record's insert as
audit, the commit as session/transaction); a stack that meets none of them is query when it reaches
SQLAlchemy or a driver, serialisation when it reaches marshmallow or a JSON encoder, and framework otherwise
(gunicorn's parsing, werkzeug, Flask's dispatch, the view's own Python).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import load, stack

#: (phase, fragments of a frame "function (path:line)"): the first frame, outermost first, that holds one decides.
PLUMBING = [
    ("auth / token lookup", ("authenticate (", "session_principal (")),
    ("rate limiter", ("flask_limiter/", "/limits/", "ledger/ratelimit.py")),
    ("idempotency", ("ledger/idempotency.py",)),
    ("audit", ("flush_notes (", "ledger/audit/service.py", "ledger/integrity.py")),
    ("session / transaction", ("commit (ledger/db.py", "rollback (ledger/db.py", "_close_session (",
                               "/sqlalchemy/pool/", "connect (psycopg", "_on_begin (", "_on_connect (",
                               "set_read_only (")),
    ("metrics", ("observe (ledger/ops/views.py", "prometheus_client/")),
    ("logging", ("_log_request (", "structlog/", "logging/__init__.py")),
]
QUERY = ("sqlalchemy/", "psycopg/", "psycopg_binary", "sqlite3/", "sqlmodel/")
#: Not flask-smorest's response wrapper itself: the view runs inside it, and its own Python is no serialisation.
SERIALISE = ("marshmallow/", "json/encoder.py", "json/__init__.py", "ledger/jsonbody.py", "flask/json/", "apispec/")
PHASES = [name for name, _ in PLUMBING] + ["query", "serialisation", "framework (gunicorn, werkzeug, flask, views)"]


def phase_of(frames: list[str]) -> str:
    for frame in frames:
        for name, fragments in PLUMBING:
            if any(f in frame for f in fragments):
                return name
    if any(any(f in frame for f in QUERY) for frame in frames):
        return "query"
    if any(any(f in frame for f in SERIALISE) for frame in frames):
        return "serialisation"
    return PHASES[-1]


def in_request(frames: list[str]) -> bool:
    """Samples of a worker handling a request (not its idle accept loop or its heartbeat)."""
    return any("handle_request (" in f or "wsgi_app (" in f for f in frames)


def tally(raw_files: list[Path]) -> Counter:
    phases: Counter = Counter()
    for path in raw_files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack_text, _, count = line.rpartition(" ")
            if not stack_text or not count.isdigit():
                continue
            frames = stack_text.split(";")
            if in_request(frames):
                phases[phase_of(frames)] += int(count)
    return phases


def run(database_url: str, duration: float, users: int, workers: int, rate: int, raw: str | None,
        warmup: float = 5) -> dict:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    stack.fresh_database(database_url)
    seeded = stack.seed(database_url)
    folder = Path(tempfile.mkdtemp(prefix="ledger-profile-"))
    with stack.running(database_url, workers=workers) as server:
        ceiling = load.health_ceiling(server.port, users, 3)
        # Unsampled: each worker's first requests compile its statements and set up the mappers' loaders, once.
        warm = load.scenario(server.port, seeded, users, warmup)[0] if warmup else None
        pids = server.worker_pids()
        spies, outputs = [], []
        for pid in pids:
            out = folder / f"worker-{pid}.txt"
            outputs.append(out)
            spies.append(subprocess.Popen([py_spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
                                           "--gil",
                                           "--output", str(out), "--nonblocking"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)
        results, _ = load.scenario(server.port, seeded, users, duration, agreements=warm.agreements if warm else None,
                                   spare_codes=warm.spare_codes if warm else None)
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
    requests = sum(len(v) for v in results.samples.values())
    phases = tally(outputs)
    if raw:
        with open(raw, "w") as handle:
            for out in outputs:
                if out.exists():
                    handle.write(out.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    total = sum(phases.values()) or 1
    return {"requests": requests, "throughput": requests / results.elapsed, "health_ceiling": ceiling,
            "rate": rate, "samples": total,
            "phases": {name: {"share": phases[name] / total,
                              "cpu_ms_per_request": phases[name] / rate * 1000 / max(1, requests)}
                       for name in PHASES}}


def report(figures: dict, load_average: str) -> None:
    print(f"profile: {figures['requests']} requests, {figures['throughput']:.0f} req/s, health ceiling "
          f"{figures['health_ceiling']:.0f} req/s, {figures['samples']} in-request samples at {figures['rate']} Hz; "
          f"load average {load_average}")
    print(f"  {'phase':<46} {'share':>7} {'CPU ms/request':>15}")
    for name, row in figures["phases"].items():
        print(f"  {name:<46} {row['share'] * 100:>6.1f}% {row['cpu_ms_per_request']:>15.2f}")
    print(f"  {'all':<46} {'100.0%':>7} {sum(r['cpu_ms_per_request'] for r in figures['phases'].values()):>15.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="sqlite:///" + os.path.join(tempfile.gettempdir(),
                                                                               "ledger-profile.sqlite3"))
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=int, default=250)
    parser.add_argument("--raw", help="also keep py-spy's raw stacks in this file")
    parser.add_argument("--warmup", type=float, default=5,
                        help="seconds of the mix before sampling starts (the workers' one-time statement compilation)")
    args = parser.parse_args(argv)
    figures = run(args.database_url, args.duration, args.users, args.workers, args.rate, args.raw, args.warmup)
    report(figures, " ".join(os.getloadavg().__repr__().strip("()").split(", ")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
