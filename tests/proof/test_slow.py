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


@needs_postgres
def test_killing_a_worker_mid_request_leaves_nothing_half_written():
    from bench import faults

    row = faults.kill_worker(PG + "_kill")
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
