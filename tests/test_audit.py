"""The audit log: every change appends a chained record; `ledger audit verify` finds tampering."""

import pytest
from sqlalchemy import text

from ledger.audit.models import AuditRecord
from ledger.audit.service import pending, record_change


def _records(session):
    return session.query(AuditRecord).order_by(AuditRecord.seq).all()


def test_each_change_appends_a_chained_record(api, admin, session):
    api.post("/api/v1/parties", json={"code": "AL", "name": "Albania"}, token=admin,
             headers={"X-Request-Id": "req-audit-0001"})
    api.put("/api/v1/parties/AL", json={"name": "Republic of Albania"}, token=admin)
    records = _records(session)
    assert [r.action for r in records] == ["party.create", "party.update"]
    assert records[0].request_id == "req-audit-0001" and records[0].principal.startswith("token:")
    assert records[1].prev_hash == records[0].hash
    assert records[1].summary == "version 2"  # read after the bump


def test_a_change_step_bumps_the_versions_flushes_then_takes_its_summary():
    class Session:
        def __init__(self):
            self.info, self.flushed = {}, False

        def flush(self):
            self.flushed = True

    class Row:
        version = 1

    session, row, other = Session(), Row(), Row()
    record_change(session, row, "thing.change", "thing", 7,
                  lambda: f"version {row.version}, flushed {session.flushed}", also=(other,))
    record_change(session, row, "thing.change", "thing", 7, "plain")
    assert (row.version, other.version) == (3, 2)
    assert [(n.action, n.object_id, n.summary) for n in pending(session)] == [
        ("thing.change", "7", "version 2, flushed True"), ("thing.change", "7", "plain")]


def test_reads_and_failures_append_nothing(api, admin, session):
    api.get("/api/v1/parties", token=admin)
    api.post("/api/v1/parties", json={"code": "AL"}, token=admin)
    assert _records(session) == []


def test_audit_rows_cannot_be_changed_by_sql(api, admin, session):
    api.post("/api/v1/parties", json={"code": "AL", "name": "Albania"}, token=admin)
    with pytest.raises(Exception, match="immutable"), session.begin_nested():
        session.execute(text("UPDATE audit_log SET summary = 'x'"))
    with pytest.raises(Exception, match="immutable"), session.begin_nested():
        session.execute(text("DELETE FROM audit_log"))


def _drop_guard(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_verify_passes_when_intact_and_names_the_edited_record(api, admin, runner, session):
    for code in ("AL", "RW", "DE"):
        api.post("/api/v1/parties", json={"code": code, "name": code}, token=admin)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit log: intact" in result.output
    _drop_guard(session)  # what an attacker with database access could do
    session.execute(text("UPDATE audit_log SET summary = 'nothing to see' WHERE seq = 2"))
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at record 2" in result.output and "altered" in result.output


def test_verify_notices_a_removed_record(api, admin, runner, session):
    for code in ("AL", "RW", "DE"):
        api.post("/api/v1/parties", json={"code": code, "name": code}, token=admin)
    _drop_guard(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "broken at record" in result.output
