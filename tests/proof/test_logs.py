"""The logs hold no token, no secret key and no case reference, whatever the request and whatever fails."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from ledger import create_app, db
from ledger.auth import public

CASE_REF = "HO-2026-" + uuid.uuid4().hex[:8].upper()


@pytest.fixture
def noisy_app(database_url):
    """An app whose extra route fails in the database with a case reference among the SQL parameters."""
    app = create_app({"TESTING": False, "LEDGER_DATABASE_URL": database_url,
                      "LEDGER_PSEUDONYM_KEY": "log-test-pseudonym-key-" + "y" * 20})

    @app.get("/fails-in-sql")
    @public
    def fails():
        db.session().execute(text("SELECT * FROM no_such_table WHERE case_ref = :ref"), {"ref": CASE_REF})

    yield app
    app.extensions["ledger.db"].engine.dispose()


def test_logs_hold_no_token_secret_or_case_reference(noisy_app, capsys):
    """Finding 6: a database error's message carried the statement's bound parameters (here a case reference)
    into the logged traceback; engines now hide parameters."""
    from tests.conftest import Api

    client = noisy_app.test_client()
    api = Api(noisy_app, client)
    admin = api.token("admin")
    forged = "rl_" + uuid.uuid4().hex
    api.get("/api/v1/parties", token=admin)
    api.get(f"/api/v1/parties?cursor={CASE_REF}", token=admin)
    api.get(f"/api/v1/journal/entries?source_id={CASE_REF}", token=admin)
    api.get("/api/v1/parties", token=forged)
    api.post("/api/v1/parties", json={"code": "IT", "name": "Italy", "case_reference": CASE_REF}, token=admin,
             headers={"Idempotency-Key": CASE_REF})
    api.post("/api/v1/parties", json={"code": CASE_REF, "name": CASE_REF}, token=admin)
    failed = client.get("/fails-in-sql", headers={"X-Request-Id": "logtest-" + uuid.uuid4().hex[:8]})
    assert failed.status_code == 500 and CASE_REF not in failed.get_data(as_text=True)
    logged = capsys.readouterr().err
    assert "unhandled_error" in logged  # the failure was logged, with its traceback
    secrets = {name: noisy_app.config[name] for name in ("SECRET_KEY", "LEDGER_PSEUDONYM_KEY", "LEDGER_SIGNING_KEY")}
    leaked = [name for name, value in {**secrets, "admin token": admin, "forged token": forged,
                                       "case reference": CASE_REF}.items() if value in logged]
    assert leaked == []
