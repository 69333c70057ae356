"""Statements in, transfers out: import, dedup, accounts, balance check, scoping and bad files, end to end."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from ledger.cli import transaction
from ledger.statements import service
from ledger.statements.demo import (
    AL_ACCOUNT,
    GB_ACCOUNT,
    camt053,
    demo_months,
    rf_reference,
)
from ledger.statements.models import Statement, Transfer, TransferFx
from tests.api.test_errors import assert_problem
from tests.conftest import require_samples

MOVES = [
    (Decimal("-1000.00"), rf_reference("GBAL202601"), AL_ACCOUNT, date(2026, 1, 12)),
    (Decimal("-250.50"), rf_reference("GBAL202602"), AL_ACCOUNT, date(2026, 2, 12)),
    (Decimal("80.00"), "refund", "DE89370400440532013000", date(2026, 2, 20)),
]


def upload(api, token, document: bytes, name: str = "statement.xml"):
    return api.post("/api/v1/statements", token=token, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(document), name)})


def register(api, admin, code: str, iban: str, currency: str = "GBP"):
    body = {"name": f"Republic {code}", "bank_accounts": [{"iban": iban, "currency": currency}]}
    response = api.put(f"/api/v1/parties/{code}", json=body, token=admin)
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def gb_account(api, admin, parties):
    register(api, admin, "GB", GB_ACCOUNT)
    register(api, admin, "AL", AL_ACCOUNT)
    return parties


def count_transfers(app) -> int:
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        try:
            return s.execute(select(func.count()).select_from(Transfer)).scalar()
        finally:
            s.close()


def test_officer_imports_a_camt053_and_sees_its_transfers(api, officer, gb_account):
    response = upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES, opening=Decimal("5000.00")))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {k: body[k] for k in ("format", "account", "party", "statements", "entries", "imported", "duplicates",
                                  "opening_balance", "closing_balance", "balance_check", "flags")} == {
        "format": "camt.053", "account": GB_ACCOUNT, "party": "GB", "statements": 1, "entries": 3, "imported": 3,
        "duplicates": 0, "opening_balance": "5000.00", "closing_balance": "3829.50", "balance_check": "ok",
        "flags": []}
    assert response.headers["Location"] == f"/api/v1/statements/{body['id']}"
    page = api.get("/api/v1/transfers?status=unmatched", token=officer).get_json()
    assert [(t["amount"], t["direction"], t["party"], t["counterparty_party"]) for t in page["items"]] == [
        ("1000.00", "debit", "GB", "AL"), ("250.50", "debit", "GB", "AL"), ("80.00", "credit", "GB", None)]
    first = page["items"][0]
    assert first["structured_reference"] == rf_reference("GBAL202601") and first["status"] == "unmatched"
    assert first["allocated"] == "0.00" and first["statement"] == body["id"] and first["reversal"] is False
    detail = api.get(f"/api/v1/statements/{body['id']}", token=officer).get_json()
    assert detail["parts"][0]["credits"] == "80.00" and detail["parts"][0]["debits"] == "1250.50"


def test_the_same_entries_again_create_nothing_new(api, officer, gb_account):
    document = camt053(GB_ACCOUNT, "GBP", MOVES)
    assert upload(api, officer, document).get_json()["imported"] == 3
    again = upload(api, officer, document).get_json()
    assert (again["imported"], again["duplicates"], again["flags"]) == (0, 3, ["duplicates"])
    resent = upload(api, officer,
                    camt053(GB_ACCOUNT, "GBP", MOVES, message_id="NEW-MSG", statement_id="NEW")).get_json()
    assert (resent["imported"], resent["duplicates"]) == (0, 3)
    overlapping = camt053(GB_ACCOUNT, "GBP", [*MOVES[1:], (Decimal("-5.00"), "fee", None, date(2026, 3, 1))])
    later = upload(api, officer, overlapping).get_json()
    assert (later["entries"], later["imported"], later["duplicates"]) == (3, 1, 2)
    assert count_transfers(api.app) == 4


def test_statement_for_an_unregistered_account_waits_until_the_account_is_registered(api, admin, officer, parties):
    body = upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES)).get_json()
    assert body["flags"] == ["unknown_account"] and body["party"] is None and body["imported"] == 3
    waiting = api.get("/api/v1/transfers", token=officer).get_json()["items"]
    assert {t["party"] for t in waiting} == {None}
    assert api.get("/api/v1/transfers", token=parties["GB"]).get_json()["items"] == []
    register(api, admin, "GB", GB_ACCOUNT)
    register(api, admin, "AL", AL_ACCOUNT)
    mine = api.get("/api/v1/transfers", token=parties["GB"]).get_json()["items"]
    assert len(mine) == 3 and {t["party"] for t in mine} == {"GB"}
    assert [t["counterparty_party"] for t in mine] == ["AL", "AL", None]
    assert api.get(f"/api/v1/statements/{body['id']}", token=parties["GB"]).get_json()["party"] == "GB"


def test_partner_sees_only_its_own_accounts_statements_and_transfers(api, officer, auditor, gb_account):
    statement_id = upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES)).get_json()["id"]
    assert api.get(f"/api/v1/statements/{statement_id}", token=gb_account["GB"]).status_code == 200
    assert_problem(api.get(f"/api/v1/statements/{statement_id}", token=gb_account["AL"]), 404, "not_found")
    assert api.get("/api/v1/statements", token=gb_account["AL"]).get_json()["items"] == []
    assert len(api.get("/api/v1/statements", token=gb_account["GB"]).get_json()["items"]) == 1
    assert api.get("/api/v1/transfers", token=gb_account["AL"]).get_json()["items"] == []
    transfer = api.get("/api/v1/transfers", token=auditor).get_json()["items"][0]
    assert_problem(api.get(f"/api/v1/transfers/{transfer['id']}", token=gb_account["AL"]), 404, "not_found")
    assert api.get(f"/api/v1/transfers/{transfer['id']}", token=gb_account["GB"]).status_code == 200


def test_only_officers_and_admins_import(api, admin, auditor, gb_account):
    document = camt053(GB_ACCOUNT, "GBP", MOVES)
    assert_problem(upload(api, gb_account["GB"], document), 403, "forbidden")
    assert_problem(upload(api, auditor, document), 403, "forbidden")
    assert upload(api, admin, document).status_code == 201


def test_balance_mismatch_is_imported_and_flagged(api, officer, gb_account):
    document = camt053(GB_ACCOUNT, "GBP", MOVES, opening=Decimal("100.00")).replace(
        b"<Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"GBP\">1070.50",
        b"<Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"GBP\">1070.51")
    body = upload(api, officer, document).get_json()
    assert body["balance_check"] == "mismatch" and "balance_mismatch" in body["flags"] and body["imported"] == 3


def test_transfer_status_follows_the_allocated_amount(api, app, officer, gb_account):
    upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES))
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        s.execute(update(Transfer).where(Transfer.amount == Decimal("1000.00")).values(allocated=Decimal(400)))
        s.execute(update(Transfer).where(Transfer.amount == Decimal("80.00")).values(allocated=Decimal(80)))
        s.commit()
        s.close()
    by_status = {status: [t["amount"] for t in api.get(f"/api/v1/transfers?status={status}", token=officer)
                          .get_json()["items"]] for status in ("unmatched", "partially_matched", "matched")}
    assert by_status == {"unmatched": ["250.50"], "partially_matched": ["1000.00"], "matched": ["80.00"]}
    assert_problem(api.get("/api/v1/transfers?status=lost", token=officer), 422, "validation_error")


def test_transfers_are_paged_with_a_cursor(api, officer, gb_account):
    upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES))
    first = api.get("/api/v1/transfers?limit=2", token=officer).get_json()
    second = api.get(f"/api/v1/transfers?limit=2&cursor={first['next_cursor']}", token=officer).get_json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None


def _corrupt_last_status(document: bytes) -> bytes:
    at = document.rfind(b"</Sts>")
    return document[:at] + b"</Stz>" + document[at + len(b"</Sts>"):]


BAD_FILES = [
    (_corrupt_last_status(camt053(GB_ACCOUNT, "GBP", MOVES)), "malformed_xml"),
    (b"PK\x03\x04 this is a zip, not a statement", "unknown_format"),
    (camt053(GB_ACCOUNT, "GBP", MOVES)[:-120], "truncated"),
    (camt053(GB_ACCOUNT, "GBP", MOVES).replace(b'<Amt Ccy="GBP">250.50</Amt>', b"<Amt>250.50</Amt>", 1),
     "missing_currency"),
]


@pytest.mark.parametrize("document,code", BAD_FILES, ids=[c for _, c in BAD_FILES])
def test_bad_files_are_refused_with_their_place_and_nothing_is_half_imported(api, officer, gb_account, document,
                                                                             code):
    problem = assert_problem(upload(api, officer, document), 422, code)
    assert "file" in problem["errors"]
    if code != "unknown_format":
        assert problem["location"] and problem["location"] in problem["detail"]
    assert api.get("/api/v1/statements", token=officer).get_json()["items"] == []
    assert count_transfers(api.app) == 0


def _mt940(number: int, second_amount: str) -> str:
    return (f":20:GB-{number}\n:25:{GB_ACCOUNT}\n:28C:{number}/1\n:60F:C24030{number}GBP0,00\n"
            f":61:24030{number}C43985,66NTRFNONREF\n:86:first\n:61:24030{number}C{second_amount}NTRFNONREF\n"
            f":86:second\n:61:24030{number}C121189,65NTRFNONREF\n:86:third\n:62F:C24030{number}GBP166175,31\n-\n")


def test_an_mt940_entry_outside_the_grammar_refuses_the_whole_file(api, officer, gb_account, monkeypatch):
    # Small chunks: the first statement's transfers are already inserted when the second one's fault is read.
    monkeypatch.setattr(service, "CHUNK", 2)
    document = (_mt940(1, "1000,00") + _mt940(2, "1000.00")).encode()
    problem = assert_problem(upload(api, officer, document, "statement.sta"), 422, "invalid_amount")
    assert problem["location"] == "statement 2, entry 5 (line 19)" and problem["field"] == "amount"
    assert "line 19" in problem["detail"] and "amount" in problem["detail"] and "1000" not in problem["detail"]
    assert api.get("/api/v1/statements", token=officer).get_json()["items"] == []
    assert count_transfers(api.app) == 0
    body = upload(api, officer, (_mt940(1, "1000,00") + _mt940(2, "1000,00")).encode(), "statement.sta").get_json()
    assert (body["imported"], body["balance_check"]) == (6, "ok")


@pytest.mark.parametrize("refused", [1, 3], ids=["first chunk", "last chunk"])
def test_a_chunk_the_database_refuses_leaves_nothing_half_imported(api, gb_account, monkeypatch, refused):
    # One transfer a chunk: chunks are stored by the background writer while later ones are parsed, and the
    # refusal comes back to the import whether it hit the first chunk or the last.
    monkeypatch.setattr(service, "CHUNK", 1)
    inserter = service._inserter

    def refusing(session):
        insert_rows, sqlite = inserter(session)
        calls = []

        def insert(connection, rows):
            calls.append(rows)
            if len(calls) == refused:
                rows = [row[:-1] + (None,) for row in rows]  # allocated NULL: the table refuses it
            insert_rows(connection, rows)
        return insert, sqlite

    monkeypatch.setattr(service, "_inserter", refusing)
    with (api.app.app_context(), pytest.raises(Exception, match="(?i)not.null"),
          transaction("statement.import") as session):
        service.import_statement(session, io.BytesIO(camt053(GB_ACCOUNT, "GBP", MOVES)), actor="test")
    assert count_transfers(api.app) == 0
    with api.app.app_context():
        s = api.app.extensions["ledger.db"].new_session()
        try:
            assert s.execute(select(func.count()).select_from(Statement)).scalar() == 0
        finally:
            s.close()


def test_missing_file_is_422(api, officer):
    problem = assert_problem(api.post("/api/v1/statements", token=officer, content_type="multipart/form-data",
                                      data={}), 422, "validation_error")
    assert "file" in problem["errors"]


def test_import_crosses_insert_chunks_and_dedups_within_one_file(api, officer, gb_account, monkeypatch):
    monkeypatch.setattr(service, "CHUNK", 2)
    moves = [(Decimal(f"-{i}.00"), f"pay {i}", AL_ACCOUNT, date(2026, 1, 1 + i % 28)) for i in range(1, 8)]
    single = camt053(GB_ACCOUNT, "GBP", moves)
    stmt = single[single.index(b"<Stmt>"):single.index(b"</Stmt>") + len(b"</Stmt>")]
    twice = single.replace(b"</Stmt>", b"</Stmt>" + stmt.replace(b"DEMO-STMT-1", b"DEMO-STMT-2"), 1)
    body = upload(api, officer, twice).get_json()
    assert (body["statements"], body["entries"], body["imported"], body["duplicates"]) == (2, 14, 7, 7)
    assert [p["imported"] for p in api.get(f"/api/v1/statements/{body['id']}", token=officer).get_json()["parts"]] \
        == [7, 0]


FX_STATEMENT = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "fx-camt.053.001.02-eur-gbp.xml"
GB_EUR = "GB82WEST12345698765432"


def stated_fx(session) -> dict[str, tuple]:
    """End-to-end id → (instructed amount, currency, rate, source) of every stored TransferFx."""
    session.expire_all()
    rows = session.execute(select(Transfer.end_to_end_id, TransferFx.instructed_amount, TransferFx.instructed_currency,
                                  TransferFx.rate, TransferFx.source)
                           .join(TransferFx, TransferFx.transfer_id == Transfer.id)).all()
    return {e2e: tuple(rest) for e2e, *rest in rows}


def test_a_payment_in_another_currency_stores_what_the_bank_stated(api, admin, officer, session, parties):
    register(api, admin, "GB", GB_EUR, "EUR")
    body = upload(api, officer, FX_STATEMENT.read_bytes()).get_json()
    assert (body["imported"], body["balance_check"]) == (5, "ok")
    rate = Decimal("1.25")
    assert stated_fx(session) == {
        "E2E-FX-SOURCE-UNIT": (Decimal("1000.00"), "GBP", rate, "statement"),
        "E2E-FX-TARGET-UNIT": (Decimal("1000.00"), "GBP", rate, "statement"),
        "E2E-FX-TXAMT": (Decimal("500.00"), "GBP", rate, "statement"),
        "E2E-FX-NO-RATE": (Decimal("500.00"), "GBP", None, "statement"),
    }
    again = upload(api, officer, FX_STATEMENT.read_bytes()).get_json()
    assert (again["imported"], again["duplicates"]) == (0, 5)
    assert len(stated_fx(session)) == 4


def test_stated_conversions_cross_insert_chunks_and_a_repeated_movement_is_stored_once(api, admin, officer,
                                                                                       session, parties,
                                                                                       monkeypatch):
    monkeypatch.setattr(service, "CHUNK", 2)
    register(api, admin, "GB", GB_EUR, "EUR")
    document = FX_STATEMENT.read_bytes()
    first = document[document.index(b"<Ntry>"):document.index(b"</Ntry>") + len(b"</Ntry>")]
    repeated = document.replace(b"</Stmt>", first + b"</Stmt>")  # entry 1 again, in the third chunk
    body = upload(api, officer, repeated).get_json()
    assert (body["entries"], body["imported"], body["duplicates"]) == (6, 5, 1)
    assert len(stated_fx(session)) == 4
    assert session.execute(select(func.count()).select_from(TransferFx)).scalar() == 4


def test_stored_rate_keeps_eight_decimals_and_never_zero():
    assert service.stored_rate(Decimal(1) / Decimal(3)) == Decimal("0.33333333")
    assert service.stored_rate(Decimal("1.123456785")) == Decimal("1.12345678")  # half-even
    assert service.stored_rate(Decimal("0.000000001")) is None
    assert service.stored_rate(None) is None


def test_pending_entries_are_counted_not_stored(api, officer, gb_account):
    document = camt053(GB_ACCOUNT, "GBP", MOVES).replace(b"<Sts>BOOK</Sts>", b"<Sts>PDNG</Sts>", 1)
    body = upload(api, officer, document).get_json()
    assert (body["entries"], body["imported"], body["not_booked"]) == (3, 2, 1)
    assert "not_booked_entries" in body["flags"] and body["balance_check"] == "mismatch"


def test_import_is_audited_without_payment_details(api, officer, auditor, gb_account):
    statement_id = upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES)).get_json()["id"]
    records = api.get("/api/v1/audit?action=statement.import", token=auditor).get_json()["items"]
    assert [r["object_id"] for r in records] == [str(statement_id)]
    assert "GBAL" not in json.dumps(records)


# ---- CLI -----------------------------------------------------------------------------------------------

def test_cli_imports_with_json_summary_and_twice_imports_nothing(runner, api, gb_account, tmp_path):
    path = tmp_path / "gb.xml"
    path.write_bytes(camt053(GB_ACCOUNT, "GBP", MOVES))
    result = runner.invoke(args=["statements", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["imported"], summary["balance_check"], summary["party"]) == (3, "ok", "GB")
    result = runner.invoke(args=["statements", "import", str(path)])
    assert result.exit_code == 0 and "0 imported, 3 duplicates" in result.output


def test_cli_bad_file_exits_non_zero_naming_the_place_and_stores_nothing(runner, app, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_bytes(BAD_FILES[3][0])
    result = runner.invoke(args=["statements", "import", str(path)])
    assert result.exit_code != 0 and "no currency" in result.output and "entry 2" in result.output
    assert count_transfers(app) == 0


# ---- every shared sample imports -----------------------------------------------------------------------

def _import_file(app, path, currency=None) -> Statement:
    with app.test_request_context():
        from ledger import db

        session = db.session()
        with open(path, "rb") as stream:
            return service.import_statement(session, stream, actor="test", default_currency=currency)


@pytest.mark.samples
@pytest.mark.parametrize("folder", ["camt", "mt940"])
def test_every_shared_sample_imports(app, folder):
    from tests.unit.statements.test_statement_samples import (
        CAMT_EXPECTED,
        MT940_MISMATCHES,
    )

    directory = require_samples(folder)
    files = sorted(p for p in directory.iterdir() if not p.name.startswith("LICENSE"))
    assert files
    for path in files:
        # The Sparkassen export has no balance lines, so no currency: the caller names it.
        record = _import_file(app, path, "EUR" if path.name == "self-provided_sparkassen.sta" else None)
        assert record.imported + record.duplicates + record.not_booked == record.entries > 0, path.name
        if folder == "camt":
            assert record.balance_check == service.overall_check(CAMT_EXPECTED[path.name]), path.name
        else:
            expected = "mismatch" if path.name in MT940_MISMATCHES else "ok"
            if path.name == "self-provided_sparkassen.sta":
                expected = "unavailable"
            assert record.balance_check == expected, path.name


def test_demo_statement_is_gbs_payments_to_albania_and_rwanda_and_closes(app, api, officer, gb_account):
    from ledger import db
    from ledger.statements.demo import seed

    with app.test_request_context():
        assert seed(db.session()) == []
        db.session().commit()
    (statement,) = api.get("/api/v1/statements", token=officer).get_json()["items"]
    assert (statement["account"], statement["party"], statement["currency"]) == (GB_ACCOUNT, "GB", "GBP")
    assert statement["balance_check"] == "ok" and statement["imported"] >= 24
    transfers = api.get("/api/v1/transfers?limit=1000", token=officer).get_json()["items"]
    to_albania = [t for t in transfers if t["counterparty_party"] == "AL" and t["direction"] == "debit"]
    assert len(to_albania) >= 10 and all(t["structured_reference"].startswith("RF") for t in to_albania)
    first_month = demo_months()[0]  # the demo is dated relative to the clock
    assert rf_reference(f"GBAL{first_month:%Y%m}") in {t["structured_reference"] for t in to_albania}


def test_demo_generator_takes_plain_tuples_and_dedups_identical_movements_apart():
    from ledger.statements.parsing import parse

    moves = [("-10.00", None, None, date(2026, 1, 1)), ("-10.00", None, None, date(2026, 1, 1))]
    items = list(parse(io.BytesIO(camt053(GB_ACCOUNT, "GBP", moves, opening=Decimal("20.00")))))
    fingerprints = {getattr(i, "fingerprint", None) for i in items} - {None}
    assert len(fingerprints) == 2 and items[-1].balance_check == "ok"


def test_what_the_bank_reported_cannot_be_rewritten_but_ownership_and_allocation_can(app, api, officer, gb_account):
    from sqlalchemy import delete
    from sqlalchemy.exc import DatabaseError

    upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES))
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        try:
            s.execute(update(Transfer).values(allocated=Decimal("1.00"), counterparty_party="DE"))
            s.flush()
            for change in (update(Transfer).values(amount=Decimal("1.00")), delete(Transfer),
                           update(Transfer).values(fingerprint="x")):
                nested = s.begin_nested()
                with pytest.raises(DatabaseError):
                    s.execute(change)
                nested.rollback()
        finally:
            s.rollback()
            s.close()


def test_overall_check_and_transfer_status():
    assert service.overall_check(["ok", "unavailable"]) == "ok"
    assert service.overall_check(["ok", "mismatch", "unavailable"]) == "mismatch"
    assert service.overall_check(["unavailable"]) == service.overall_check([]) == "unavailable"
    assert [service.transfer_status(Decimal(10), Decimal(a)) for a in ("0", "4", "10", "11")] == [
        "unmatched", "partially_matched", "matched", "matched"]


def _moved(api, admin, iban: str, wrong: str, right: str) -> None:
    """`iban` taken off `wrong`'s accounts and registered to `right`."""
    for code, accounts in ((wrong, []), (right, [{"iban": iban, "currency": "GBP"}])):
        response = api.put(f"/api/v1/parties/{code}", json={"name": f"Republic {code}", "bank_accounts": accounts},
                           token=admin)
        assert response.status_code == 200, response.get_json()


def test_an_iban_moved_to_the_right_party_takes_its_unexplained_transfers_along(app, api, admin, officer, parties):
    register(api, admin, "GB", GB_ACCOUNT)
    register(api, admin, "DE", AL_ACCOUNT)  # AL's account, registered to DE by mistake
    upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES))
    first, second, _ = sorted(api.get("/api/v1/transfers", token=officer).get_json()["items"], key=lambda t: t["id"])
    assert first["counterparty_party"] == second["counterparty_party"] == "DE"
    with app.app_context():  # the first was already matched (money allocated) before the mistake was seen
        s = app.extensions["ledger.db"].new_session()
        s.execute(update(Transfer).where(Transfer.id == first["id"]).values(allocated=Decimal("1000.00")))
        s.commit()
        s.close()
    _moved(api, admin, AL_ACCOUNT, "DE", "AL")
    now = {t["id"]: t for t in api.get("/api/v1/transfers", token=officer).get_json()["items"]}
    assert now[second["id"]]["counterparty_party"] == "AL"  # nothing explained yet: it follows the account
    assert now[first["id"]]["counterparty_party"] == "DE"  # its match is reversed first, if it was wrong


def test_a_party_that_held_an_account_by_mistake_no_longer_sees_its_statement(api, admin, officer, parties):
    register(api, admin, "AL", GB_ACCOUNT)  # GB's account, registered to AL by mistake
    statement = upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES)).get_json()
    assert statement["party"] == "AL"
    _moved(api, admin, GB_ACCOUNT, "AL", "GB")
    assert api.get(f"/api/v1/statements/{statement['id']}", token=parties["GB"]).get_json()["party"] == "GB"
    assert_problem(api.get(f"/api/v1/statements/{statement['id']}", token=parties["AL"]), 404, "not_found")
    assert {t["party"] for t in api.get("/api/v1/transfers", token=parties["GB"]).get_json()["items"]} == {"GB"}
    assert api.get("/api/v1/transfers", token=parties["AL"]).get_json()["items"] == []


def test_removing_an_iban_alone_keeps_its_transfers_with_their_party(api, admin, officer, gb_account):
    upload(api, officer, camt053(GB_ACCOUNT, "GBP", MOVES))
    response = api.put("/api/v1/parties/AL", json={"name": "Republic AL", "bank_accounts": []}, token=admin)
    assert response.status_code == 200
    parties_now = [t["counterparty_party"] for t in api.get("/api/v1/transfers", token=officer).get_json()["items"]]
    assert parties_now.count("AL") == 2  # the closed account's transfers were still AL's


def test_a_statement_upload_over_the_limit_is_refused_before_it_is_read(app, api, officer, gb_account, monkeypatch):
    """An import must end inside the worker's timeout: past LEDGER_STATEMENT_MAX_BYTES the API answers 413 and
    names the command for larger files; nothing is stored. At the limit the same file imports."""
    document = camt053(GB_ACCOUNT, "GBP", [("-10.00", "Payment", None, date(2026, 5, 1))])
    monkeypatch.setitem(app.config, "LEDGER_STATEMENT_MAX_BYTES", len(document) + 400)  # the form's overhead
    big = document + b" " * 500  # trailing white space: still a well-formed statement, now over the limit
    problem = assert_problem(upload(api, officer, big), 413, "payload_too_large")
    assert "ledger statements import" in problem["detail"]
    assert api.get("/api/v1/statements", token=officer).get_json()["items"] == []
    assert upload(api, officer, document).status_code == 201
