"""Alembic environment: runs on the connection the `ledger db` command hands it.

On PostgreSQL a migration holds an advisory lock (two hosts starting at once migrate one after the other)
and bounded lock/statement timeouts (a migration never queues for ever behind live traffic).
"""

from alembic import context
from sqlalchemy import text

from ledger.db import metadata
from ledger.features import import_models

import_models()
MIGRATION_LOCK = 72_061_001


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SET lock_timeout = '10s'"))
        connection.execute(text("SET statement_timeout = '10min'"))
        connection.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK})"))
    try:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=not postgres,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if postgres:
            connection.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            connection.commit()


run_migrations_online()
