"""Voiding a wrong import: its cash reversed out of the journal (a reversal per entry, nothing deleted), its
transfers out of reconciliation and the open items, the reason audited, the corrected file importable again; an
import whose transfers are matched is refused (409 naming them) until the match is reversed."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ledger.audit.models import AuditRecord
from ledger.journal.models import JournalEntry
from ledger.statements.demo import DemoTransfer, camt053
from ledger.statements.models import Transfer
from ledger.statements.settlement_provider import unreconciled_open_items
from tests.api.recon_helpers import GB_ACCOUNT, RW_IBAN, R, rf_reference


def _document(moves, message="VOID-1", opening="1000.00") -> bytes:
    return camt053(GB_ACCOUNT, "GBP", [DemoTransfer(Decimal(m[0]), *m[1:]) for m in moves], opening=Decimal(opening),
                   message_id=message, statement_id=f"{message}-STMT")


def _import(world, document: bytes) -> dict:
    response = world.api.post("/api/v1/statements", token=world.officer, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(document), "statement.xml")})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _cash_and_suspense(world) -> tuple[Decimal, Decimal]:
    items = world.api.get(f"/api/v1/accounts?bank_account={GB_ACCOUNT}&limit=100", token=world.officer).get_json()
    by = {(a["purpose"], a["currency"]): Decimal(a["balance"]) for a in items["items"]}
    return by.get(("cash", "GBP"), Decimal(0)), by.get(("suspense", "GBP"), Decimal(0))


def _void(world, statement_id: int, reason: str = "wrong file: the bank's test export"):
    return world.api.post(f"/api/v1/statements/{statement_id}/void", json={"reason": reason}, token=world.officer)


MOVES = [("-300.00", "Something", RW_IBAN, date(2026, 5, 2)), ("120.00", "Refund", RW_IBAN, date(2026, 5, 3))]


def test_a_void_reverses_the_imports_cash_keeps_its_transfers_as_voided_and_is_audited(world, session):
    statement = _import(world, _document(MOVES))
    before = _cash_and_suspense(world)
    assert before == (Decimal("820.00"), Decimal("180.00"))  # opening 1000, out 300, in 120

    answer = _void(world, statement["id"])
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["voided_at"] and body["void_reason"] == "wrong file: the bank's test export" and body["voided_by"]
    # The opening balance stays (what the bank said the account held); the import's movements are reversed.
    assert _cash_and_suspense(world) == (Decimal("1000.00"), Decimal("0.00"))
    reversals = session.execute(
        select(JournalEntry).where(JournalEntry.source_type == "statement_void")).scalars().all()
    assert reversals and all(e.reverses_id is not None for e in reversals)
    statuses = session.execute(
        select(Transfer.booking_status).where(Transfer.statement_id == statement["id"])).scalars()
    assert set(statuses) == {"voided"}
    audit = session.execute(select(AuditRecord).where(AuditRecord.action == "statement.void")).scalars().one()
    assert "wrong file" in audit.summary

    # The corrected file brings the same movements in again, rather than skipping them as duplicates.
    again = _import(world, _document(MOVES, message="VOID-2"))
    assert again["imported"] == 2 and again["duplicates"] == 0
    assert _cash_and_suspense(world) == before


def test_voided_transfers_leave_the_open_items_and_reconciliation(world, session):
    ref = rf_reference("RWVOID2")
    world.invoice("GB", "RW-VOID-2", "300.00", ref)
    statement = _import(world, _document([("-300.00", ref, RW_IBAN, date(2026, 5, 2))]))
    ids = {t["id"] for t in world.api.get(f"/api/v1/transfers?statement={statement['id']}",
                                          token=world.officer).get_json()["items"]}
    listed = unreconciled_open_items(session, "2026-05", None, None)["unreconciled_transfers"]
    assert ids and ids <= {item["transfer"] for item in listed}
    assert _void(world, statement["id"]).status_code == 200
    listed = unreconciled_open_items(session, "2026-05", None, None)["unreconciled_transfers"]
    assert not ids & {item["transfer"] for item in listed}
    run = world.run()
    assert run["auto_matched"] == 0 and not world.matches()  # the invoice's payment was in the voided file


def test_a_void_twice_says_who_voided_it_and_when(world):
    statement = _import(world, _document(MOVES))
    assert _void(world, statement["id"]).status_code == 200
    second = _void(world, statement["id"], "double click")
    assert second.status_code == 409
    problem = second.get_json()
    assert problem["code"] == "import_voided" and problem["voided_by"] and problem["voided_at"]
    assert "already voided by" in problem["detail"]


def test_a_void_needs_a_reason(world):
    statement = _import(world, _document(MOVES))
    answer = _void(world, statement["id"], "   ")
    assert answer.status_code == 422 and "reason" in answer.get_json()["errors"]
    assert _cash_and_suspense(world) == (Decimal("820.00"), Decimal("180.00"))


def test_an_import_with_a_posted_match_is_refused_until_the_match_is_reversed(world):
    ref = rf_reference("RWVOID1")
    world.invoice("GB", "RW-VOID-1", "10000.00", ref)
    statement = _import(world, _document([("-10000.00", ref, RW_IBAN, date(2026, 5, 1))], opening="20000.00"))
    assert world.run()["auto_matched"] == 1
    (match,) = world.matches("auto")

    refused = _void(world, statement["id"])
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["code"] == "import_has_matches" and problem["transfers"] == [match["transfer"]]
    assert problem["matches"] == [{"match": match["id"], "transfer": match["transfer"], "status": "auto"}]
    assert _cash_and_suspense(world)[0] == Decimal("10000.00")  # nothing half-done

    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "wrong file"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    assert _void(world, statement["id"]).status_code == 200
    assert _cash_and_suspense(world) == (Decimal("20000.00"), Decimal("0.00"))


def test_only_officers_void(world, auditor):
    statement = _import(world, _document(MOVES))
    answer = world.api.post(f"/api/v1/statements/{statement['id']}/void", json={"reason": "x"}, token=auditor)
    assert answer.status_code == 403


def test_the_database_lets_a_void_through_and_nothing_else(world, session):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    statement = _import(world, _document(MOVES))
    transfer_id = session.execute(select(Transfer.id).where(Transfer.statement_id == statement["id"])).scalars().first()
    for change in ("booking_status = 'voided', amount = amount + 1", "booking_status = 'pending'"):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(text(f"UPDATE transfers SET {change} WHERE id = :id"), {"id": transfer_id})
    assert _void(world, statement["id"]).status_code == 200
    with pytest.raises(DBAPIError), session.begin_nested():  # a voided transfer stays voided
        session.execute(text("UPDATE transfers SET booking_status = 'booked' WHERE id = :id"), {"id": transfer_id})
