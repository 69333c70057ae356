"""`ledger idempotency purge`: keys past retention go, keys within the 30 days API.md promises stay."""

from datetime import timedelta

from sqlalchemy import func, select

from ledger.audit.models import AuditRecord
from ledger.idempotency import IdempotencyKey
from ledger.timeutil import utcnow

PRINCIPAL = "token:purge-test"  # other tests may leave keys of their own in the shared database


def _mine(session) -> list[str]:
    query = select(IdempotencyKey.key).where(IdempotencyKey.principal == PRINCIPAL).order_by(IdempotencyKey.key)
    return session.execute(query).scalars().all()


def _key(session, key: str, age_days: int) -> None:
    session.add(IdempotencyKey(principal=PRINCIPAL, key=key, request_hash="0" * 64, status_code=201,
                               created_at=utcnow() - timedelta(days=age_days)))


def test_purge_deletes_only_keys_older_than_the_retention(runner, session):
    _key(session, "old", 45)
    _key(session, "recent", 29)
    session.commit()
    result = runner.invoke(args=["idempotency", "purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "idempotency keys created before" in result.output
    session.expire_all()
    assert _mine(session) == ["recent"]
    audited = session.execute(select(func.count()).where(AuditRecord.action == "idempotency.purge")).scalar_one()
    assert audited == 1


def test_purge_refuses_a_retention_shorter_than_api_promises(runner, session):
    _key(session, "young", 10)
    session.commit()
    result = runner.invoke(args=["idempotency", "purge", "--older-than", "7"])
    assert result.exit_code != 0 and "at least 30 days" in result.output
    session.expire_all()
    assert _mine(session) == ["young"]
