"""Faults: kill -9 a gunicorn worker mid-request, restart PostgreSQL under load, fill the disk under SQLite.
Afterwards nothing is half-written, retried requests with the same Idempotency-Key were applied once, and
the service recovered by itself. Each scenario prints one row of the summary table.

    python -m bench.faults [--only kill,pg-restart,disk-full] [--database-url postgresql://.../ledger_faults]

* kill: a burst of POST /parties with Idempotency-Keys (later: a batch submission and a statement import)
  against 2 workers while a worker is SIGKILLed three times; clients retry with the same key.
* pg-restart: reads and keyed creates while PostgreSQL restarts. The bench starts its OWN throwaway cluster
  (initdb under /tmp, port 5499, run as the postgres user) so it never disturbs other users of a shared
  server; `--pg-restart-command` restarts another one instead (e.g.
  `pg_ctlcluster --skip-systemctl-redirect 15 main restart` on a dedicated host).
* disk-full: SQLite on a 16 MB tmpfs (room for the WAL to grow to its 1000-page checkpoint once space is freed) (needs root for `mount`); writes until the disk is full, then space is
  freed and every request is retried with its key.
Needs Linux, gunicorn, and for pg-restart the PostgreSQL server binaries.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from bench import stack

PG_BIN = Path(os.environ.get("LEDGER_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class Row:
    scenario: str
    ok: bool
    detail: str
    statuses: Counter = field(default_factory=Counter)


def codes(n: int, seed: int = 3) -> list[str]:
    pool = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in stack.PARTIES)
    random.Random(seed).shuffle(pool)
    return pool[:n]


class Client:
    """Keyed creates that retry (same key) on a dropped connection, 409 in flight and 5xx, as a partner's
    integration would; every status and dropped connection is counted."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.statuses: Counter = Counter()
        self.lock = threading.Lock()

    def _count(self, what) -> None:
        with self.lock:
            self.statuses[what] += 1

    def create(self, code: str, key: str, give_up_after: float = 60) -> int | None:
        deadline = time.monotonic() + give_up_after
        while time.monotonic() < deadline:
            try:
                status, _, _ = stack.request("POST", self.port, "/api/v1/parties", self.token,
                                            body={"code": code, "name": f"Fault {code}"},
                                            headers={"Idempotency-Key": key}, timeout=15)
            except (OSError, http.client.HTTPException):
                self._count("dropped")
                time.sleep(0.2)
                continue
            self._count(status)
            if status in (201,):
                return status
            if status in (409, 500, 502, 503, 507):
                time.sleep(0.2)
                continue
            return status
        return None

    def read(self, path: str) -> None:
        try:
            status = stack.request("GET", self.port, path, self.token, timeout=15)[0]
        except (OSError, http.client.HTTPException):
            status = "dropped"
        self._count(status)


def burst(client: Client, wanted: dict[str, str], threads: int) -> dict[str, int | None]:
    outcome: dict[str, int | None] = {}
    items = list(wanted.items())

    def work(part):
        for key, code in part:
            outcome[key] = client.create(code, key)

    workers = [threading.Thread(target=work, args=(items[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return outcome


def after_checks(url: str, wanted: dict[str, str], outcome: dict[str, int | None]) -> tuple[bool, list[str]]:
    checks = [stack.applied_once(url, wanted), stack.chains_verify(url), stack.journal_balances(url)]
    unfinished = [k for k, status in outcome.items() if status != 201]
    finals = Counter(str(outcome[k]) for k in unfinished)
    checks.append((not unfinished, f"{len(unfinished)} requests never succeeded" + (f" {dict(finals)}" if finals else "")))
    return all(ok for ok, _ in checks), [detail for _, detail in checks]


def _server_errors(statuses: Counter, allowed=(503,)) -> list[str]:
    return [f"{s}×{n}" for s, n in statuses.items() if isinstance(s, int) and s >= 500 and s not in allowed]


# ------------------------------------------------------------------------------------------------ scenarios
def kill_worker(url: str) -> Row:
    stack.fresh_database(url)
    seeded = stack.seed(url, entries=20)
    wanted = {stack.new_key(): code for code in codes(90)}
    with stack.running(url, workers=2) as server:
        client = Client(server.port, seeded.admin)
        kills: list[int] = []

        def killer():
            for _ in range(3):
                time.sleep(0.4)
                pids = server.worker_pids()
                if pids:
                    victim = random.choice(pids)
                    os.kill(victim, signal.SIGKILL)
                    kills.append(victim)

        k = threading.Thread(target=killer)
        k.start()
        outcome = burst(client, wanted, threads=6)
        k.join()
        recovered = server.wait_healthy(30)
        time.sleep(1)
        workers_back = len(server.worker_pids())
    ok, details = after_checks(url, wanted, outcome)
    bad = _server_errors(client.statuses, allowed=())
    ok = ok and not bad and workers_back == 2
    detail = (f"{len(kills)} workers killed, {client.statuses['dropped']} requests cut off; "
              f"{workers_back}/2 workers back, healthy after {recovered:.1f}s; " + "; ".join(details)
              + (f"; server errors {bad}" if bad else ""))
    return Row("kill -9 a worker during keyed POSTs", ok, detail, client.statuses)


class OwnPostgres:
    """A throwaway cluster under /tmp on its own port, so restarting it disturbs nobody."""

    def __init__(self, port: int = 5499):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)

    def start(self) -> str:
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
                          "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        return f"postgresql://postgres@127.0.0.1:{self.port}/ledger_faults"

    def restart(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "restart",
                          "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                          "-l", str(self.dir / "log"))

    def stop(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w",
                        "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_restart(restart_command: str | None, url: str | None) -> Row:
    own = None
    if restart_command is None:
        own = OwnPostgres()
        url = own.start()
    try:
        stack.fresh_database(url)
        seeded = stack.seed(url, entries=50)
        wanted = {stack.new_key(): code for code in codes(80, seed=5)}
        with stack.running(url, workers=2) as server:
            client = Client(server.port, seeded.admin)
            reader = Client(server.port, seeded.partners["AL"])
            stop = threading.Event()

            def reads():
                while not stop.is_set():
                    reader.read("/api/v1/journal/entries?limit=20")

            readers = [threading.Thread(target=reads) for _ in range(3)]
            for r in readers:
                r.start()
            restarted = []

            def restart():
                time.sleep(1.0)
                started = time.monotonic()
                if own:
                    own.restart()
                else:
                    subprocess.run(restart_command, shell=True, check=True)
                restarted.append(time.monotonic() - started)

            t = threading.Thread(target=restart)
            t.start()
            outcome = burst(client, {k: wanted[k] for k in wanted}, threads=3)
            t.join()
            recovered = server.wait_healthy(30)
            stop.set()
            for r in readers:
                r.join()
            statuses = client.statuses + reader.statuses
        ok, details = after_checks(url, wanted, outcome)
        bad = _server_errors(statuses)
        ok = ok and not bad
        detail = (f"restart took {restarted[0]:.1f}s; 503 answers {statuses[503]}, dropped {statuses['dropped']}; "
                  f"healthy {recovered:.1f}s after; " + "; ".join(details) + (f"; server errors {bad}" if bad else ""))
        return Row("restart PostgreSQL under load", ok, detail, statuses)
    finally:
        if own:
            own.stop()


def disk_full() -> Row:
    mount = Path(tempfile.mkdtemp(prefix="ledger-faults-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
    try:
        url = f"sqlite:///{mount / 'ledger.sqlite3'}"
        stack.fresh_database(url)
        seeded = stack.seed(url, entries=5)
        filler = mount / "filler"
        free = shutil.disk_usage(mount).free
        with filler.open("wb") as handle:  # leave ~48 KB: a few writes fit, then the disk is full
            handle.write(b"\0" * max(0, free - 48 * 1024))
        wanted = {stack.new_key(): code for code in codes(60, seed=11)}
        with stack.running(url, workers=1) as server:
            client = Client(server.port, seeded.admin)
            first: dict[str, int | None] = {}
            for key, code in wanted.items():  # one pass, no retries: see what a full disk answers
                try:
                    status = stack.request("POST", server.port, "/api/v1/parties", seeded.admin,
                                           body={"code": code, "name": f"Fault {code}"},
                                           headers={"Idempotency-Key": key})[0]
                except (OSError, http.client.HTTPException):
                    status = "dropped"
                client.statuses[status] += 1
                first[key] = status
            full_answers = Counter(s for s in first.values() if s != 201)
            filler.unlink()  # the operator frees space; nothing is restarted
            outcome = burst(client, wanted, threads=2)
            recovered = server.wait_healthy(10)
        connection = sqlite3.connect(mount / "ledger.sqlite3")
        try:
            integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
        ok, details = after_checks(url, wanted, outcome)
        bad = _server_errors(Counter({s: n for s, n in full_answers.items()}), allowed=(503, 507))
        hit_full = sum(full_answers.values()) > 0
        ok = ok and integrity == "ok" and not bad and hit_full
        detail = (f"while full: {dict(full_answers)}; integrity_check {integrity}; recovered without restart "
                  f"({recovered:.1f}s); " + "; ".join(details) + (f"; server errors {bad}" if bad else "")
                  + ("" if hit_full else "; the disk never filled"))
        return Row("fill the disk under SQLite", ok, detail, client.statuses)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


SCENARIOS = ("kill", "pg-restart", "disk-full")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/ledger_faults")
    parser.add_argument("--pg-restart-command", default=None)
    parser.add_argument("--pg-url", default=None, help="with --pg-restart-command: the database it serves")
    args = parser.parse_args(argv)
    rows = []
    for name in args.only.split(","):
        if name == "kill":
            rows.append(kill_worker(args.database_url))
        elif name == "pg-restart":
            rows.append(pg_restart(args.pg_restart_command, args.pg_url))
        elif name == "disk-full":
            rows.append(disk_full())
        print(f"{'PASS' if rows[-1].ok else 'FAIL'}  {rows[-1].scenario}: {rows[-1].detail}", flush=True)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
