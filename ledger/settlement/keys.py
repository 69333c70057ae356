"""The signing keys a statement may have been signed with: the current one and every one retired before it.

Changing LEDGER_SIGNING_KEY and restarting is the rotation: on start the service records the new public key
and retires the one in use until then, so each earlier statement still verifies with the key it names.
"""

from __future__ import annotations

import structlog
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from ledger.settlement import signing
from ledger.settlement.models import SigningKeyRecord
from ledger.timeutil import utcnow

log = structlog.get_logger("ledger.settlement.keys")


def key_id(public_key_b64: str) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key: short, and fixed by the key alone."""
    return signing.key_id_of(signing.load_public_key(public_key_b64))


def record_current(session: Session, public_key_b64: str) -> SigningKeyRecord:
    """Make `public_key_b64` the current key, retiring whichever was current before (idempotent)."""
    kid = key_id(public_key_b64)
    now = utcnow()
    row = session.get(SigningKeyRecord, kid)
    for other in session.execute(select(SigningKeyRecord).where(SigningKeyRecord.retired_at.is_(None),
                                                                SigningKeyRecord.key_id != kid)).scalars():
        other.retired_at = now
    if row is None:
        row = SigningKeyRecord(key_id=kid, public_key=public_key_b64, valid_from=now)
        session.add(row)
    elif row.retired_at is not None:  # a key brought back into use: current again from now
        row.retired_at = None
        row.valid_from = now
    session.flush()
    return row


def published(session: Session) -> list[SigningKeyRecord]:
    """Every key, the current one first, then the retired ones newest first."""
    rows = list(session.execute(select(SigningKeyRecord)).scalars())
    current = [r for r in rows if r.retired_at is None]
    retired = sorted((r for r in rows if r.retired_at is not None), key=lambda r: r.retired_at, reverse=True)
    return current + retired


def record_on_start(engine, public_key_b64: str) -> None:
    """At start: record the configured key. A database not migrated or not reachable yet is left alone;
    closing a period records the key again before it signs."""
    try:
        if not inspect(engine).has_table(SigningKeyRecord.__tablename__):
            return
        with Session(engine) as session:
            record_current(session, public_key_b64)
            session.commit()
    except IntegrityError:
        pass  # another worker starting at the same moment recorded it
    except (OperationalError, ProgrammingError) as error:
        log.warning("signing key not recorded at start", error=str(error).splitlines()[0])
    finally:
        # No connection left pooled from start-up: gunicorn forks workers after this, and an app built only
        # to run a command leaves nothing open behind it.
        engine.dispose()
