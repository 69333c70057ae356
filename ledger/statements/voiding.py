"""Voiding a wrong import: the file is kept as a record, what it brought in is taken back out.

An import is voided when it should not have been imported (the wrong file, a bank export that was cut short or
misread). Nothing is deleted: the import's cash entries are reversed in the journal (each reversal names the entry
it undoes, in the first open period when the import's month is closed), its transfers stay as documents marked
`voided` (so reconciliation, the open items and every count leave them out: they all read booked transfers only),
and the import records who voided it, when and why, in the audit log too.

A voided transfer gives its fingerprint up (it is replaced by a digest of itself): the corrected file, imported
next, brings the same movements in again instead of skipping them as duplicates.

Money the ledger has already explained with the import's transfers cannot silently disappear: an import with a
match posted on one of its transfers, or a proposal waiting for review, is refused (409 `import_has_matches`,
naming the transfers and matches) until those matches are reversed or rejected.

The opening-balance entry an import made for a bank account new to the journal stays: it is what the bank said
the account held before, and the next import of that account follows on from it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import hold_reconciliation_lock
from ledger.errors import Conflict, field_error
from ledger.journal import queries as journal_queries
from ledger.journal import service as journal
from ledger.statements import cash
from ledger.statements.models import Statement, Transfer
from ledger.timeutil import utcnow

SOURCE_TYPE = "statement_void"
VOIDED = "voided"  # the booking status of a voided import's transfers (the one change 0026 lets through)


def matches_holding(session: Session, statement_id: int) -> list[dict]:
    """The matches on the import's transfers that hold money or wait for review: what must be undone first."""
    from ledger.reconciliation.queries import live_matches_of  # reconciliation builds on statements: late

    rows = live_matches_of(session, select(Transfer.id).where(Transfer.statement_id == statement_id))
    return [{"match": match_id, "transfer": transfer_id, "status": status} for match_id, transfer_id, status in rows]


def _allocated_transfers(session: Session, statement_id: int) -> list[int]:
    return list(session.execute(select(Transfer.id).where(Transfer.statement_id == statement_id,
                                                          Transfer.allocated != 0).order_by(Transfer.id)).scalars())


def void_import(session: Session, record: Statement, *, reason: str, actor: str) -> Statement:
    """Void import `record`: reverse its cash entries, mark its transfers voided, record who, when and why."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "say why the import is voided (kept in the audit log)", "reason_required")
    if len(reason) > 500:
        raise field_error("reason", "at most 500 characters")
    if record.voided_at is not None:
        raise Conflict(f"import {record.id} was already voided by {record.voided_by} at "
                       f"{record.voided_at.isoformat(timespec='seconds')}", code="import_voided",
                       extra={"voided_by": record.voided_by, "voided_at": record.voided_at.isoformat()})
    hold_reconciliation_lock(session)  # a run starting now must not match the transfers being voided
    holding = matches_holding(session, record.id)
    allocated = _allocated_transfers(session, record.id)
    if holding or allocated:
        transfers = sorted({m["transfer"] for m in holding} | set(allocated))
        raise Conflict(f"{len(transfers)} of this import's transfers are matched or proposed for a match "
                       f"(transfers {', '.join(map(str, transfers))}): reverse or reject those matches first, "
                       "then void the import", code="import_has_matches",
                       extra={"transfers": transfers, "matches": holding})
    reversed_entries = _reverse_cash(session, record.id, reason)
    voided = _void_transfers(session, record.id)
    record.voided_at, record.voided_by, record.void_reason = utcnow(), actor[:100], reason
    session.flush()
    describe(session, "statement.void", "statement", record.id,
             f"voided: {voided} transfers taken out, {len(reversed_entries)} cash entries reversed; reason: {reason}")
    return record


def _reverse_cash(session: Session, statement_id: int, reason: str) -> list[int]:
    """Reverse each cash entry the import posted (not its opening balance), dated as the entry it undoes."""
    entries = journal_queries.entries_of_source(session, cash.SOURCE_TYPE, str(statement_id))
    return [journal.reverse(session, entry_id, day, memo=f"import {statement_id} voided: {reason}"[:500],
                            source_type=SOURCE_TYPE, source_id=str(statement_id))
            for entry_id, day in entries]


def _void_transfers(session: Session, statement_id: int) -> int:
    """Mark the import's transfers voided and release their fingerprints (see the module's docstring)."""
    rows = session.execute(select(Transfer.id, Transfer.fingerprint)
                           .where(Transfer.statement_id == statement_id)).all()
    for transfer_id, fingerprint in rows:
        released = hashlib.sha256(f"voided:{transfer_id}:{fingerprint}".encode()).hexdigest()
        session.execute(update(Transfer).where(Transfer.id == transfer_id)
                        .values(booking_status=VOIDED, fingerprint=released)
                        .execution_options(synchronize_session=False))
    session.expire_all()
    return len(rows)
