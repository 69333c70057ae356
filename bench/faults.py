"""Faults: kill -9 a gunicorn worker mid-request, restart PostgreSQL under load, fill the disk under SQLite.
Afterwards nothing is half-written, retried requests with the same Idempotency-Key were applied once, and
the service recovered by itself. Each scenario prints one row of the summary table.

    python -m bench.faults [--only kill,pg-restart,disk-full] [--database-url postgresql://.../ledger_faults]

* kill: a burst of POST /parties with Idempotency-Keys against 2 workers while a worker is SIGKILLed three
  times; clients retry with the same key.
* kill-batch / kill-import: every worker SIGKILLed half-way through one keyed returnee batch (5,000 people) /
  one keyed camt.053 import (20,000 entries, several MB); nothing of it is written, the retry with the same
  key applies it once, a second retry replays the same answer.
* kill-run: every worker SIGKILLed half-way through a reconciliation run over 20,000 open invoices and transfers
  (its engine forked into a process of its own): nothing of the run is written, its matching process ends with
  its worker, and the retry matches what a dry run predicted.
* pg-restart: reads and keyed creates while PostgreSQL restarts. The bench starts its OWN throwaway cluster
  (initdb under /tmp, port 5499, run as the postgres user) so it never disturbs other users of a shared
  server; `--pg-restart-command` restarts another one instead (e.g.
  `pg_ctlcluster --skip-systemctl-redirect 15 main restart` on a dedicated host).
* disk-full: SQLite on a 16 MB tmpfs (room for the WAL to grow to its 1000-page checkpoint once space is freed)
  (needs root for `mount`); writes until the disk is full, then space is freed and every request is retried
  with its key.
Needs Linux, gunicorn, and for pg-restart the PostgreSQL server binaries.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
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
from datetime import date
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
    detail = f"{len(unfinished)} requests never succeeded" + (f" {dict(finals)}" if finals else "")
    checks.append((not unfinished, detail))
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


def _post_raw(port: int, path: str, token: str, body: bytes, content_type: str, key: str,
              timeout: float = 300) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": content_type,
                                                       "Idempotency-Key": key})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _multipart(name: str, filename: str, payload: bytes) -> tuple[bytes, str]:
    boundary = "ledger-faults-" + stack.new_key()
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/xml\r\n\r\n").encode()
    return head + payload + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _count(url: str, sql: str) -> int:
    from sqlalchemy import text

    from ledger.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return int(value or 0)


def _kill_mid_request(server, send, warm_seconds: float) -> tuple[bool, object]:
    """Send the request in a thread and SIGKILL every worker half-way through (by the warm-up's duration).
    Returns (the request was still in flight when killed, what the client got)."""
    got: list = []

    def client():
        try:
            got.append(send())
        except (OSError, http.client.HTTPException) as error:
            got.append(("dropped", type(error).__name__))

    t = threading.Thread(target=client)
    t.start()
    time.sleep(max(0.2, warm_seconds * 0.5))
    in_flight = t.is_alive()
    for pid in server.worker_pids():
        os.kill(pid, signal.SIGKILL)
    t.join(300)
    return in_flight, got[0] if got else None


def _retry(send, attempts: int = 60):
    """A client retrying with the same key until it gets an answer that is not 'in flight' / unavailable."""
    last = None
    for _ in range(attempts):
        try:
            last = send()
        except (OSError, http.client.HTTPException):
            time.sleep(0.5)
            continue
        if last[0] not in (409, 502, 503):
            return last
        time.sleep(0.5)
    return last


def kill_during_batch(url: str, size: int = 5000) -> Row:
    """kill -9 every worker while a keyed batch of `size` returnees is being written: afterwards the agreement
    holds none of them; the retry with the same key applies the batch once, a second retry replays it."""
    stack.fresh_database(url)
    seeded = stack.seed(url, entries=5)
    with stack.running(url, workers=2, timeout=300) as server:
        from bench.load import TERMS

        body = {"reference": "GB-AL-FAULT", "kind": "return_hub", "payer": "GB", "payee": "AL", "currency": "GBP",
                "signed_on": "2026-01-15", "effective_from": "2026-01-01", "effective_to": "2030-12-31",
                "terms": TERMS}
        status, _, answer = stack.request("POST", server.port, "/api/v1/agreements", seeded.admin, body=body)
        agreement = json.loads(answer)["id"]
        path = f"/api/v1/agreements/{agreement}/returnees/batch"

        def people(prefix):
            return {"items": [{"case_ref": f"{prefix}-{n:06d}", "transferred_on": "2026-03-02",
                               "nationality": "ERI"} for n in range(size)]}

        started = time.monotonic()  # warm-up: a batch of the same size under another key, to time it
        warm = stack.request("POST", server.port, path, seeded.partners["AL"], body=people("WARM"),
                             headers={"Idempotency-Key": stack.new_key()}, timeout=300)[0]
        warm_seconds = time.monotonic() - started
        before = _count(url, f"SELECT count(*) FROM returnees WHERE agreement_id = {agreement}")
        key, batch = stack.new_key(), people("KILL")

        def send():
            return stack.request("POST", server.port, path, seeded.partners["AL"], body=batch,
                                 headers={"Idempotency-Key": key}, timeout=300)[:3:2]

        in_flight, got = _kill_mid_request(server, send, warm_seconds)
        server.wait_healthy(60)
        after_kill = _count(url, f"SELECT count(*) FROM returnees WHERE agreement_id = {agreement}") - before
        first = _retry(send)
        after_retry = _count(url, f"SELECT count(*) FROM returnees WHERE agreement_id = {agreement}") - before
        second = _retry(send)
        after_second = _count(url, f"SELECT count(*) FROM returnees WHERE agreement_id = {agreement}") - before
        recovered = server.wait_healthy(30)
    checks = [stack.chains_verify(url), stack.journal_balances(url)]
    whole = after_kill in (0, size) and (after_kill == 0 or got and got[0] == 200)
    ok = (warm == 200 and in_flight and whole and first and first[0] == 200 and second and second[0] == 200
          and after_retry == size and after_second == size and all(c for c, _ in checks))
    detail = (f"batch of {size} (warm-up {warm_seconds:.1f}s), killed {'mid-request' if in_flight else 'too late'}"
              f" (client: {got[0] if got else None}); after the kill {after_kill} of {size} written; retry "
              f"{first[0] if first else None} → {after_retry}; again {second[0] if second else None} → "
              f"{after_second}; healthy {recovered:.1f}s; " + "; ".join(d for _, d in checks))
    return Row("kill -9 during a returnee batch", ok, detail)


def kill_during_import(url: str, entries: int = 20_000) -> Row:
    """kill -9 every worker while a keyed multi-MB camt.053 import is running: afterwards no statement and no
    transfer of it exist; the retry with the same key imports it once, a second retry replays the answer."""
    from bench.statements_gen import write_statement

    stack.fresh_database(url)
    seeded = stack.seed(url, entries=5)
    folder = Path(tempfile.mkdtemp(prefix="ledger-faults-camt-"))
    try:
        warm_file, kill_file = folder / "warm.xml", folder / "kill.xml"
        write_statement(warm_file, entries, seed=1)
        write_statement(kill_file, entries, seed=2, start=date(2025, 1, 1))
        # the generator numbers AcctSvcrRef by position: give the second file its own, or it is all duplicates
        kill_file.write_bytes(kill_file.read_bytes().replace(b"<AcctSvcrRef>BR", b"<AcctSvcrRef>KR"))
        megabytes = kill_file.stat().st_size / 1e6
        with stack.running(url, workers=2, timeout=300) as server:
            def sender(path: Path, key: str):
                body, content_type = _multipart("file", path.name, path.read_bytes())
                return lambda: _post_raw(server.port, "/api/v1/statements", seeded.officer, body, content_type, key)

            started = time.monotonic()
            warm = sender(warm_file, stack.new_key())()[0]
            warm_seconds = time.monotonic() - started
            statements = _count(url, "SELECT count(*) FROM statements")
            transfers = _count(url, "SELECT count(*) FROM transfers")
            send = sender(kill_file, stack.new_key())
            in_flight, got = _kill_mid_request(server, send, warm_seconds)
            server.wait_healthy(60)
            after_kill = (_count(url, "SELECT count(*) FROM statements") - statements,
                          _count(url, "SELECT count(*) FROM transfers") - transfers)
            first = _retry(send)
            after_retry = (_count(url, "SELECT count(*) FROM statements") - statements,
                           _count(url, "SELECT count(*) FROM transfers") - transfers)
            second = _retry(send)
            after_second = (_count(url, "SELECT count(*) FROM statements") - statements,
                            _count(url, "SELECT count(*) FROM transfers") - transfers)
            recovered = server.wait_healthy(30)
        imported = json.loads(first[1])["imported"] if first and first[0] == 201 else None
        same = bool(second and first and second[1] == first[1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    checks = [stack.chains_verify(url), stack.journal_balances(url)]
    ok = (warm == 201 and in_flight and after_kill == (0, 0) and first and first[0] == 201
          and after_retry == (1, imported) and after_second == after_retry and same and all(c for c, _ in checks))
    detail = (f"camt.053 of {entries} entries, {megabytes:.1f} MB (warm-up {warm_seconds:.1f}s), killed "
              f"{'mid-request' if in_flight else 'too late'} (client: {got[0] if got else None}); after the kill "
              f"{after_kill[0]} statements / {after_kill[1]} transfers; retry {first[0] if first else None} → "
              f"{after_retry[0]} / {after_retry[1]}; again {second[0] if second else None} (same answer: {same}) → "
              f"{after_second[0]} / {after_second[1]}; healthy {recovered:.1f}s; " + "; ".join(d for _, d in checks))
    return Row("kill -9 during a statement import", ok, detail)


def _children(pid: int) -> list[int]:
    """The processes `pid`'s threads forked (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie has ended, whoever reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_during_run(url: str, n: int = 20_000) -> Row:
    """kill -9 every worker half-way through a reconciliation run (its engine forked): afterwards no match,
    allocation or entry of it exists and no transfer is allocated; its matching process ended with its worker; the
    retry with the same key runs it once and matches what a dry run predicted."""
    from bench.reconcile import load
    from bench.reconcile_gen import generate

    stack.fresh_database(url)
    seeded = stack.seed(url, entries=5)
    load(url, generate(n, 0))

    def written() -> tuple[int, ...]:
        return tuple(_count(url, sql) for sql in (
            "SELECT count(*) FROM reconciliation_matches", "SELECT count(*) FROM reconciliation_allocations",
            "SELECT count(*) FROM journal_entries", "SELECT count(*) FROM transfers WHERE allocated <> 0"))

    path = "/api/v1/reconciliation/runs"
    with stack.running(url, workers=2, timeout=300) as server:
        def post(dry_run: bool, key: str):
            return stack.request("POST", server.port, path, seeded.officer, body={"dry_run": dry_run},
                                 headers={"Idempotency-Key": key}, timeout=300)[:3:2]

        started = time.monotonic()  # the dry run matches in-process and posts nothing: its counts are the truth
        warm, predicted = post(True, stack.new_key())
        warm_seconds = time.monotonic() - started
        before = written()
        key = stack.new_key()
        got: list = []

        def client():
            try:
                got.append(post(False, key))
            except (OSError, http.client.HTTPException) as error:
                got.append(("dropped", type(error).__name__))

        t = threading.Thread(target=client)
        t.start()
        time.sleep(max(0.5, warm_seconds * 0.7))  # a real run loads, forks, then matches and posts: past the fork
        in_flight = t.is_alive()
        workers = server.worker_pids()
        matching = [child for worker in workers for child in _children(worker)]
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        t.join(300)
        deadline = time.monotonic() + 1  # it dies with its worker at once (Linux); else it matches on for nobody
        while any(_alive(pid) for pid in matching) and time.monotonic() < deadline:
            time.sleep(0.1)
        orphans = [pid for pid in matching if _alive(pid)]
        server.wait_healthy(60)
        after_kill = written()
        retry = _retry(lambda: post(False, key))
        after_retry = written()
        recovered = server.wait_healthy(30)
    checks = [stack.chains_verify(url), stack.journal_balances(url)]
    expected = json.loads(predicted) if warm == 201 else {}
    answer = json.loads(retry[1]) if retry and retry[0] == 201 else {}
    same = {k: answer.get(k) for k in ("auto_matched", "proposed")} == {k: expected.get(k) for k in
                                                                         ("auto_matched", "proposed")}
    ok = (warm == 201 and in_flight and bool(matching) and not orphans and after_kill == before and same
          and after_retry[0] > before[0] and all(c for c, _ in checks))
    detail = (f"run over {n} invoices (dry run {warm_seconds:.1f}s: {expected.get('auto_matched')} auto, "
              f"{expected.get('proposed')} proposed), killed {'mid-request' if in_flight else 'too late'} with "
              f"{len(matching)} matching process(es) (client: {got[0][0] if got else None}); left running: "
              f"{len(orphans)}; written after the kill: {after_kill[0] - before[0]} matches, "
              f"{after_kill[2] - before[2]} entries, {after_kill[3] - before[3]} transfers allocated; retry "
              f"{retry[0] if retry else None}: {answer.get('auto_matched')} auto, {answer.get('proposed')} proposed "
              f"(as predicted: {same}); healthy {recovered:.1f}s; " + "; ".join(d for _, d in checks))
    return Row("kill -9 during a reconciliation run", ok, detail)


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


SCENARIOS = ("kill", "kill-batch", "kill-import", "kill-run", "pg-restart", "disk-full")


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
        elif name == "kill-batch":
            rows.append(kill_during_batch(args.database_url))
        elif name == "kill-import":
            rows.append(kill_during_import(args.database_url))
        elif name == "kill-run":
            rows.append(kill_during_run(args.database_url))
        elif name == "pg-restart":
            rows.append(pg_restart(args.pg_restart_command, args.pg_url))
        elif name == "disk-full":
            rows.append(disk_full())
        print(f"{'PASS' if rows[-1].ok else 'FAIL'}  {rows[-1].scenario}: {rows[-1].detail}", flush=True)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
