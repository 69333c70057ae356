"""The stack the load and fault benches run against: a fresh database, gunicorn on 127.0.0.1, an HTTP helper,
and the checks that must hold afterwards (journal balances, chains verify, no idempotent request applied twice).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PARTIES = ("GB", "AL", "RW", "DE", "FR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(url: str) -> str:
    """PostgreSQL: (re)create the named database; SQLite: remove the file. Then migrate."""
    from ledger import migrate
    from ledger.db import make_engine

    if url.startswith("postgresql"):
        parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    elif url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@dataclass
class Seeded:
    admin: str
    officer: str
    auditor: str
    partners: dict[str, str]


def seed(url: str, entries: int = 200) -> Seeded:
    """Five parties, a token per role and partner, and `entries` journal entries between them."""
    from ledger import create_app, db
    from ledger.auth import ApiToken, hash_token, new_token
    from ledger.journal import service
    from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
    from ledger.money import Money
    from ledger.parties.models import Party

    app = create_app({"LEDGER_DATABASE_URL": url})
    tokens: dict[str, str] = {}
    with app.app_context():
        session = db.session()
        for code in PARTIES:
            session.add(Party(code=code, name=f"Republic {code}"))
        session.flush()

        def token(role, party=None):
            value = new_token()
            session.add(ApiToken(name=f"bench-{role}-{party or 'staff'}", role=role, party_code=party,
                                 token_hash=hash_token(value)))
            return value

        for role in ("admin", "finance_officer", "auditor"):
            tokens[role] = token(role)
        partners = {code: token("partner", code) for code in PARTIES}
        drafts = []
        for i in range(entries):
            host = ("AL", "RW")[i % 2]
            money = Money.of(f"{100 + i}.25", "GBP")
            drafts.append(EntryDraft(date(2026, 1 + i % 9, 1 + i % 28),
                                     (debit(AccountKey("returns_costs", "GBP", "GB", host, 1 + i % 2), money),
                                      credit(AccountKey("obligations", "GBP", host, "GB", 1 + i % 2), money)),
                                     "bench", f"seed-{i}"))
        service.post_entries(session, drafts)
        session.commit()
    app.extensions["ledger.db"].engine.dispose()
    return Seeded(tokens["admin"], tokens["finance_officer"], tokens["auditor"], partners)


def environment(url: str, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({
        "LEDGER_DATABASE_URL": url,
        "LEDGER_SECRET_KEY": "bench-secret-key-" + "s" * 32,
        "LEDGER_PSEUDONYM_KEY": "bench-pseudonym-key-" + "p" * 32,
        "LEDGER_LOG_LEVEL": "WARNING",
        # the load comes from one address with a handful of tokens: lift the per-token ceiling for the bench
        "LEDGER_RATELIMIT_PER_TOKEN": "1000000 per minute",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


class Gunicorn:
    """gunicorn -c gunicorn.conf.py wsgi:app on 127.0.0.1:<free port>."""

    def __init__(self, url: str, workers: int = 4, timeout: int = 30, **env: str):
        self.port = free_port()
        self.env = environment(url, LEDGER_BIND=f"127.0.0.1:{self.port}", LEDGER_WORKERS=str(workers),
                               LEDGER_WORKER_TIMEOUT=str(timeout), **env)
        self.process: subprocess.Popen | None = None
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"ledger-bench-gunicorn-{self.port}.log"

    def start(self) -> Gunicorn:
        with self.log.open("w") as handle:  # the child keeps its own descriptor
            self.process = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                                            env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        # At load average 20 on two cores four workers take more than half a minute to import the app.
        self.wait_healthy(float(os.environ.get("LEDGER_BENCH_START_SECONDS", "120")))
        return self

    def wait_healthy(self, seconds: float) -> float:
        """Seconds until /api/v1/health answers 200; raises if it never does."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if request("GET", self.port, "/api/v1/health", timeout=2)[0] == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not become healthy in {seconds}s; see {self.log}")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False).stdout
        return [int(p) for p in out.split()]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc: what the service spends, unlike
        wall-clock figures unmoved by whatever else runs on the machine."""
        return sum(_cpu_ticks(pid) for pid in self.worker_pids()) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _cpu_ticks(pid: int, children: bool = False) -> int:
    """utime + stime of a process (fields 14 and 15 of proc(5)), with `children` also those of its children that
    have ended (16 and 17); 0 for a process that has gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(f) for f in fields[11:15 if children else 13])


def database_cpu_seconds(url: str) -> float | None:
    """CPU time the PostgreSQL server on this machine has used so far: every `postgres` process (the backends
    serving the workers among them) and the backends that have ended (counted in their parent's). None for SQLite,
    whose work is the workers' own, and for a server elsewhere."""
    if not url.startswith("postgresql") or not any(h in url for h in ("@127.0.0.1", "@localhost")):
        return None
    ticks = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/comm") as handle:
                    if handle.read().strip() != "postgres":
                        continue
            except OSError:
                continue
            ticks += _cpu_ticks(int(entry.name), children=True)
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def running(url: str, **kw):
    server = Gunicorn(url, **kw).start()
    try:
        yield server
    finally:
        server.stop()


def request(method: str, port: int, path: str, token: str | None = None, body: dict | None = None,
            headers: dict | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
    """One request on a new connection (gunicorn's sync workers close after each response anyway)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def new_key() -> str:
    return uuid.uuid4().hex


# ------------------------------------------------------------------------------------------------ post-checks
def journal_balances(url: str) -> tuple[bool, str]:
    """Every entry sums to zero per currency, so the whole journal does."""
    from ledger.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        bad = conn.execute(text(
            "SELECT entry_id, currency, SUM(amount) FROM postings GROUP BY entry_id, currency "
            "HAVING SUM(amount) <> 0")).all()
        total = conn.execute(text("SELECT count(*) FROM journal_entries")).scalar()
    engine.dispose()
    return (not bad, f"{total} entries, {len(bad)} unbalanced")


def chains_verify(url: str) -> tuple[bool, str]:
    result = subprocess.run([PYTHON, "-c", "from ledger.cli import main; main()", "audit", "verify"], cwd=ROOT,
                            env=environment(url), capture_output=True, text=True, check=False)
    return result.returncode == 0, " / ".join((result.stdout + result.stderr).split("\n")).strip(" /")


def applied_once(url: str, codes_by_key: dict[str, str]) -> tuple[bool, str]:
    """Each party created under an Idempotency-Key exists once and was audited once."""
    from ledger.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        parties = dict(conn.execute(text("SELECT code, count(*) FROM parties GROUP BY code")).all())
        audited = dict(conn.execute(text(
            "SELECT object_id, count(*) FROM audit_log WHERE object_type = 'party' AND action = 'party.create' "
            "GROUP BY object_id")).all())
    engine.dispose()
    wanted = set(codes_by_key.values())
    twice = sorted(c for c in wanted if parties.get(c, 0) > 1 or audited.get(c, 0) > 1)
    missing = sorted(c for c in wanted if c not in parties)
    return (not twice, f"{len(wanted)} keyed creations, {len(twice)} applied twice, {len(missing)} never applied")


def batches_applied_once(url: str, batches: dict[str, tuple]) -> tuple[bool, str]:
    """Each agreement holds exactly the returnees of the keyed batches that were answered 200 (one copy each,
    however often the batch was retried), and none of a batch that never was."""
    from ledger.db import make_engine

    expected: dict[int, int] = {}
    for agreement, size, answered in batches.values():
        expected[agreement] = expected.get(agreement, 0) + (size if answered else 0)
    engine = make_engine(url)
    with engine.connect() as conn:
        held = dict(conn.execute(text("SELECT agreement_id, count(*) FROM returnees GROUP BY agreement_id")).all())
    engine.dispose()
    wrong = {a: (held.get(a, 0), n) for a, n in expected.items() if held.get(a, 0) != n}
    return (not wrong, f"{len(batches)} keyed batches, {sum(expected.values())} returnees expected, "
                       f"{sum(held.get(a, 0) for a in expected)} held" + (f"; wrong {wrong}" if wrong else ""))


def invoices_applied_once(url: str, invoices: dict[str, tuple]) -> tuple[bool, str]:
    from ledger.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        held = dict(conn.execute(text("SELECT number, count(*) FROM invoices GROUP BY number")).all())
    engine.dispose()
    twice = [n for n, _ in invoices.values() if held.get(n, 0) > 1]
    lost = [n for n, answered in invoices.values() if answered and held.get(n, 0) == 0]
    return (not twice and not lost, f"{len(invoices)} keyed invoices, {len(twice)} applied twice, "
                                    f"{len(lost)} answered 201 but missing")
