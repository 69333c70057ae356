"""Throw-away databases for benchmarks: a SQLite file or a fresh PostgreSQL database, migrated."""

from __future__ import annotations

import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger import migrate
from ledger.db import make_engine

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_database(kind: str, admin_url: str = DEFAULT_PG):
    """Yield the URL of a new, migrated database of `kind` ("sqlite" or "postgresql"); drop it afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            _migrate(url)
            yield url
        return
    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1)),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


def app_for(url: str):
    from ledger import create_app

    return create_app({"LEDGER_DATABASE_URL": url, "LEDGER_LOG_LEVEL": "WARNING"})
