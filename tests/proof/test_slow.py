"""The longer proofs as tests (`pytest -m slow`; `make check` runs them with a summary table via bench.check):
a short load run and the fault scenarios, against gunicorn on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

pytestmark = pytest.mark.slow

PG = os.environ.get("LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/ledger_check")


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


needs_postgres = pytest.mark.skipif(not _postgres_up(), reason="no PostgreSQL on 127.0.0.1:5432")
needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root (mount, runuser)")


@needs_postgres
def test_short_load_run_keeps_the_books():
    from bench import load

    figures = load.run(PG + "_load", duration=8, users=8, workers=2, health_seconds=3)
    assert {name: ok for name, (ok, _) in figures["checks"].items()} == dict.fromkeys(figures["checks"], True), \
        figures["checks"]


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def test_a_short_busy_run_reconciles_imports_and_closes_while_the_partners_call(tmp_path, engine):
    """`bench.load --busy`: the three long writers end well (each exit 0, the run matching what was seeded) while
    the mix goes on, queued on SQLite, at once on PostgreSQL; every check holds."""
    from bench import load

    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}" if engine == "sqlite" else PG + "_busy"
    figures = load.run(url, duration=3, users=4, workers=2, health_seconds=1, busy=500, busy_import=1000)
    assert {name: ok for name, (ok, _) in figures["checks"].items()} == dict.fromkeys(figures["checks"], True), \
        figures["checks"]
    busy = figures["busy"]
    assert [row["status"] for row in busy["writers"]] == [0, 0, 0]
    assert busy["queued"] == (engine == "sqlite")
    assert busy["while_busy"]["n"] > 0 and busy["while_busy"]["5xx"] == 0


@needs_postgres
def test_killing_a_worker_mid_request_leaves_nothing_half_written():
    from bench import faults

    row = faults.kill_worker(PG + "_kill")
    assert row.ok, row.detail


@needs_postgres
@pytest.mark.parametrize("scenario", ["kill_during_batch", "kill_during_import", "kill_during_run"])
def test_killing_the_workers_mid_batch_import_or_run_writes_nothing_and_the_retry_applies_once(scenario):
    from bench import faults

    row = getattr(faults, scenario)(PG + "_kill")
    assert row.ok, row.detail


@needs_root
@pytest.mark.skipif(not os.path.isdir("/usr/lib/postgresql"), reason="no PostgreSQL server binaries")
def test_restarting_postgresql_under_load_is_503_then_recovered():
    from bench import faults

    row = faults.pg_restart(None, None)
    assert row.ok, row.detail


@needs_root
def test_a_full_disk_under_sqlite_is_503_then_recovered():
    from bench import faults

    row = faults.disk_full()
    assert row.ok, row.detail


@pytest.mark.parametrize("trickle", ["headers", "body"])
def test_a_slow_client_is_cut_off_while_others_are_served(tmp_path, trickle):
    """A client trickling its request (a header line, or a declared body, a byte every 0.3 s) holds one sync
    worker only until gunicorn's worker timeout, which kills and replaces that worker; meanwhile the other
    workers answer everyone else."""
    import select
    import socket as sockets
    import threading
    import time

    from bench import stack

    url = stack.fresh_database(f"sqlite:///{tmp_path / 'slow.sqlite3'}")
    stack.seed(url, entries=1)
    timeout = 3
    with stack.running(url, workers=3, timeout=timeout) as server:
        served, cut_off = [], []

        def slow():
            conn = sockets.create_connection(("127.0.0.1", server.port))
            started = time.monotonic()
            if trickle == "headers":
                conn.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                drip = b"X-Slow: " + b"a" * 400
            else:
                conn.sendall(b"POST /api/v1/parties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100000\r\n\r\n{")
                drip = b" " * 400
            try:
                for byte in drip:
                    readable, _, _ = select.select([conn], [], [], 0.3)
                    if readable and not conn.recv(4096):
                        break
                    conn.sendall(bytes([byte]))
                else:
                    return  # never cut off
            except OSError:
                pass
            finally:
                conn.close()
            cut_off.append(time.monotonic() - started)

        trickler = threading.Thread(target=slow)
        trickler.start()
        deadline = time.monotonic() + timeout + 2
        while time.monotonic() < deadline:
            started = time.monotonic()
            status = stack.request("GET", server.port, "/api/v1/health", timeout=5)[0]
            served.append((status, time.monotonic() - started))
            time.sleep(0.1)
        trickler.join(60)
        assert cut_off and cut_off[0] < timeout * 4 + 5, cut_off
        assert served and all(status == 200 for status, _ in served), served
        assert max(seconds for _, seconds in served) < timeout, served
        assert server.wait_healthy(10) < 10  # the killed worker was replaced
