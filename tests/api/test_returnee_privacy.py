"""A submitted case reference is nowhere: not in any table, database file, log line, URL or error."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from ledger import db as ledger_db
from ledger.auth import ApiToken, hash_token, new_token
from ledger.features import import_models
from tests.api.agreements_helpers import A, agreement_body

CASE = "HO-2026-PRIVATE-4711"
OTHER = "HO-2026-PRIVATE-4712"


def _token(app, role, party=None):
    token = new_token()
    with app.app_context():
        s = ledger_db.database().new_session()
        s.add(ApiToken(name=f"{role}-{party}", role=role, party_code=party, token_hash=hash_token(token)))
        s.commit()
        s.close()
    return token


def test_case_reference_is_nowhere(committed_app, capsys, caplog):
    app = committed_app
    client = app.test_client()
    admin = _token(app, "admin")

    def call(method, path, token, json=None):
        return getattr(client, method)(path, json=json, headers={"Authorization": f"Bearer {token}"})

    for code in ("GB", "RW"):
        assert call("post", "/api/v1/parties", admin, {"code": code, "name": code}).status_code == 201
    rw = _token(app, "partner", "RW")
    agreement = call("post", A, admin, agreement_body()).get_json()
    item = {"case_ref": CASE, "transferred_on": "2026-03-02", "nationality": "IRN", "accepted_on": "2026-03-03"}
    responses = [
        call("post", f"{A}/{agreement['id']}/returnees", rw, item),
        call("post", f"{A}/{agreement['id']}/returnees", rw, item),  # duplicate → 409
        call("post", f"{A}/{agreement['id']}/returnees/batch", rw,
             {"items": [item, {**item, "case_ref": OTHER}, {**item, "case_ref": OTHER, "nationality": "QQ"}]}),
        call("post", f"{A}/{agreement['id']}/returnees/batch", rw,
             {"items": [{**item, "case_ref": OTHER, "transferred_on": "2020-01-01", "accepted_on": None}]}),
        call("post", f"{A}/{agreement['id']}/accrue", admin, {"period": "2026-03"}),
        call("get", f"{A}/{agreement['id']}/returnees", rw),
    ]
    assert responses[0].status_code == 201 and responses[1].status_code == 409
    for response in responses:
        assert CASE not in response.get_data(as_text=True)
        assert OTHER not in response.get_data(as_text=True)
        assert CASE not in response.headers.get("Location", "")

    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "agreements.Returnees" in logs  # the log was captured
    assert CASE not in logs and OTHER not in logs

    # every row of every table, as text
    import_models()
    from sqlmodel import SQLModel

    with app.app_context():
        engine = ledger_db.database().engine
        with engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    assert CASE not in repr(tuple(row)), table.name
                    assert OTHER not in repr(tuple(row)), table.name
        url = make_url(app.config["LEDGER_DATABASE_URL"])
        if url.drivername.startswith("sqlite"):
            engine.dispose()
            files = [Path(url.database), Path(url.database + "-wal")]
            raw = b"".join(f.read_bytes() for f in files if f.exists())
            assert len(raw) > 0
            assert CASE.encode() not in raw and OTHER.encode() not in raw
