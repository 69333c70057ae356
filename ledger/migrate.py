"""Schema migrations (Alembic), driven from `ledger db …` and from the test suite."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from ledger.db import metadata
from ledger.features import import_models

SCRIPTS = Path(__file__).parent / "migrations"


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


class MissingMigrations(RuntimeError):
    """The installed package holds no migration scripts: upgrading would only stamp an empty schema."""


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.connect() as connection:
        cfg = _config(connection)
        # A broken install (scripts left out of the wheel) otherwise "upgrades" to nothing and exits 0.
        if not ScriptDirectory.from_config(cfg).get_heads():
            raise MissingMigrations(f"no migration scripts found in {SCRIPTS / 'versions'}: the install is incomplete")
        command.upgrade(cfg, revision)
        connection.commit()


def revision(engine: Engine, message: str) -> None:
    with engine.connect() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)


def drift(bind: Engine | Connection) -> list:
    """Differences between the models and the migrated database (empty when they agree)."""
    import_models()
    if isinstance(bind, Connection):
        return compare_metadata(MigrationContext.configure(bind, opts={"compare_type": True}), metadata)
    with bind.connect() as connection:
        return drift(connection)
