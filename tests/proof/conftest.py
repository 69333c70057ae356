"""Fixtures for the proofs: an app over a database holding the whole demo (every feature's seeder)."""

from __future__ import annotations

import pytest

from ledger import create_app, migrate
from ledger.auth import ApiToken, hash_token, new_token
from ledger.db import make_engine

DEMO_PARTIES = ("GB", "AL", "RW", "DE", "FR", "IT")


@pytest.fixture(scope="session")
def seeded_app(tmp_path_factory, instance_dir):
    """An app on its own database holding the whole demo (every feature's seeder), so generated ids and
    GET-by-id paths meet real objects, and a token per role. Each test runs in a rolled-back transaction."""
    from tests.conftest import _new_database, _test_config

    url, drop = _new_database(tmp_path_factory, "seeded")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(_test_config(url))
    app.instance_path = str(instance_dir)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    tokens = {"anonymous": None}
    with app.app_context():
        session = app.extensions["ledger.db"].new_session()
        wanted = [(role, role, None) for role in ("admin", "finance_officer", "auditor")]
        wanted += [("partner", "partner", "AL")] + [(f"partner:{c}", "partner", c) for c in DEMO_PARTIES]
        for name, role, party in wanted:
            tokens[name] = new_token()
            session.add(ApiToken(name=f"proof-{name}", role=role, party_code=party,
                                 token_hash=hash_token(tokens[name])))
        session.commit()
        session.close()
    app.config["LEDGER_PROOF_TOKENS"] = tokens
    yield app
    app.extensions["ledger.db"].engine.dispose()
    drop()


@pytest.fixture
def seeded(seeded_app):
    database = seeded_app.extensions["ledger.db"]
    connection = database.engine.connect()
    outer = connection.begin()
    database.bind = connection
    seeded_app.extensions["ledger.limiter"].reset()
    try:
        yield seeded_app
    finally:
        database.bind = database.engine
        outer.rollback()
        connection.close()


