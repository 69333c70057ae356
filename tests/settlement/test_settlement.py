"""Monthly settlement on journal postings: figures, closing, signatures, sign-off, reports."""

import csv
import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ledger.errors import Problem
from ledger.journal import service as journal
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money
from ledger.settlement.models import FrozenStatement
from ledger.settlement.rules import party_totals
from tests.api.test_errors import assert_problem

GB_AL, GB_RW = 1, 2


def _accrue(payer, host, agreement, amount, day, source="accrual"):
    money = Money.of(amount, "GBP")
    return EntryDraft(day, (debit(AccountKey("returns_costs", "GBP", payer, host, agreement), money),
                            credit(AccountKey("obligations", "GBP", host, payer, agreement), money)), source, "t")


def _approve(payer, host, agreement, amount, day):
    money = Money.of(amount, "GBP")
    return EntryDraft(day, (debit(AccountKey("obligations", "GBP", host, payer, agreement), money),
                            credit(AccountKey("invoices_payable", "GBP", host, payer, agreement), money)),
                      "invoice_approval", "t")


def _pay(payer, host, agreement, amount, day):
    money = Money.of(amount, "GBP")
    return EntryDraft(day, (debit(AccountKey("invoices_payable", "GBP", host, payer, agreement), money),
                            credit(AccountKey("cash", "GBP", payer), money)), "match", "t")


@pytest.fixture
def books(app, parties, session):
    journal.post_entries(session, [
        _accrue("GB", "AL", GB_AL, "20000.00", date(2026, 3, 4)),
        _accrue("GB", "RW", GB_RW, "5000.00", date(2026, 3, 10)),
        _accrue("GB", "AL", GB_AL, "2500.00", date(2026, 4, 1)),
        _accrue("GB", "AL", GB_AL, "-500.00", date(2026, 4, 2), source="adjustment"),
        _approve("GB", "AL", GB_AL, "20000.00", date(2026, 4, 3)),
        _pay("GB", "AL", GB_AL, "19990.00", date(2026, 4, 20)),
    ])
    session.commit()
    return parties


def _line(view, agreement_id):
    return next(a for a in view["statement"]["agreements"] if a["agreement_id"] == agreement_id)


def test_open_period_statement_figures(api, officer, books):
    view = api.get("/api/v1/settlements/2026-04", token=officer).get_json()
    assert view["status"] == "open"
    assert _line(view, GB_AL) == {"agreement_id": GB_AL, "currency": "GBP", "opening": "20000.00",
                                  "accrued": "2500.00", "adjustments": "-500.00", "approved": "20000.00",
                                  "paid": "19990.00", "closing": "2010.00"}


def test_statement_closing_equals_the_journal_balances(api, officer, books, session):
    for period in ("2026-03", "2026-04"):
        view = api.get(f"/api/v1/settlements/{period}", token=officer).get_json()
        for line in view["statement"]["agreements"]:
            owed = sum(balance for account, balance in journal.balances(session, period=period)
                       if account.agreement_id == line["agreement_id"]
                       and account.purpose in ("obligations", "invoices_payable"))
            assert Decimal(line["closing"]) == -owed


def test_close_signs_statements_that_verify_offline(api, officer, books, runner, tmp_path):
    closed = api.post("/api/v1/settlements/2026-03/close", token=officer)
    assert closed.status_code == 200, closed.get_json()
    assert {s["scope"] for s in closed.get_json()["statements"]} == {"all", "agreement:1", "agreement:2"}
    view = api.get("/api/v1/settlements/2026-03", token=officer).get_json()
    assert view["status"] == "closed"
    document = view["documents"][0]
    assert document["statement"]["journal_chain_head"]["seq"] == 6
    key = api.get("/api/v1/signing-key").get_json()
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(document))
    ok = runner.invoke(args=["verify-statement", str(path), "--public-key", key["public_key"]])
    assert ok.exit_code == 0, ok.output
    document["statement"]["agreements"][0]["closing"] = "0.00"  # a rewrite of history
    path.write_text(json.dumps(document))
    bad = runner.invoke(args=["verify-statement", str(path), "--public-key", key["public_key_pem"]])
    assert bad.exit_code == 1 and "digest does not match" in bad.output and "signature does not verify" in bad.output


def test_each_agreements_signed_statement_carries_its_line_of_the_whole(api, officer, books, session):
    """The close builds one statement per agreement from that agreement's postings alone: each must carry exactly
    the whole statement's line for it, and its party totals, and nothing of the other agreements."""
    closed = api.post("/api/v1/settlements/2026-04/close", token=officer)  # 2026-03 first: months close in order
    assert closed.status_code == 409
    assert api.post("/api/v1/settlements/2026-03/close", token=officer).status_code == 200
    closed = api.post("/api/v1/settlements/2026-04/close", token=officer)
    assert closed.status_code == 200, closed.get_json()
    documents = {row.scope: json.loads(row.canonical) for row in
                 session.execute(select(FrozenStatement).where(FrozenStatement.period == "2026-04")).scalars()}
    whole = {line["agreement_id"]: line for line in documents.pop("all")["agreements"]}
    assert set(documents) == {f"agreement:{i}" for i in whole}
    for agreement_id, line in whole.items():
        one = documents[f"agreement:{agreement_id}"]
        assert one["agreements"] == [line]
        assert one["parties"] == party_totals([line])
    assert whole[GB_AL]["closing"] == "2010.00" and whole[GB_RW]["closing"] == "5000.00"


def test_closing_rules(api, officer, books, session):
    assert_problem(api.post("/api/v1/settlements/2026-04/close", token=officer), 409, "earlier_period_open")
    assert api.post("/api/v1/settlements/2026-03/close", token=officer).status_code == 200
    assert_problem(api.post("/api/v1/settlements/2026-03/close", token=officer), 409, "period_already_closed")
    assert_problem(api.post("/api/v1/settlements/2999-01/close", token=officer), 409, "period_not_ended")
    with pytest.raises(journal.PeriodClosed):
        journal.post_entry(session, _accrue("GB", "AL", GB_AL, "1.00", date(2026, 3, 31)))


def test_a_closed_statement_never_changes(api, officer, books, session):
    api.post("/api/v1/settlements/2026-03/close", token=officer)
    before = api.get("/api/v1/settlements/2026-03", token=officer).get_json()
    late = journal.first_open_period(session, date(2026, 3, 31))
    late_lines = _accrue("GB", "AL", GB_AL, "7.00", date(2026, 3, 31)).lines
    journal.post_entry(session, EntryDraft(date(2026, 3, 31), late_lines, "adjustment", "late", period=late))
    session.commit()
    assert api.get("/api/v1/settlements/2026-03", token=officer).get_json() == before
    april = api.get("/api/v1/settlements/2026-04", token=officer).get_json()
    assert _line(april, GB_AL)["adjustments"] == "-493.00"  # the late correction lands in the next period


def test_partner_sees_only_its_own_agreements(api, books):
    own = api.get("/api/v1/settlements/2026-04", token=books["AL"]).get_json()
    assert [a["agreement_id"] for a in own["statement"]["agreements"]] == [GB_AL]
    assert_problem(api.get(f"/api/v1/settlements/2026-04?agreement={GB_RW}", token=books["AL"]), 404, "not_found")
    assert_problem(api.get(f"/api/v1/settlements/2026-04/report?format=csv&agreement={GB_RW}", token=books["AL"]),
                   404, "not_found")
    assert api.get("/api/v1/settlements/2026-04", token=books["DE"]).get_json()["statement"]["agreements"] == []


def test_partner_acknowledges_or_disputes(api, officer, books):
    api.post("/api/v1/settlements/2026-03/close", token=officer)
    doc = api.get(f"/api/v1/settlements/2026-03?agreement={GB_AL}", token=books["AL"]).get_json()["documents"][0]
    wrong = {"agreement": GB_AL, "digest": "0" * 64, "accepted": True}
    assert_problem(api.post("/api/v1/settlements/2026-03/acknowledgements", json=wrong, token=books["AL"]),
                   409, "digest_mismatch")
    other = {"agreement": GB_RW, "digest": doc["digest"], "accepted": True}
    assert_problem(api.post("/api/v1/settlements/2026-03/acknowledgements", json=other, token=books["AL"]),
                   404, "not_found")
    dispute = {"agreement": GB_AL, "digest": doc["digest"], "accepted": False,
               "disputed_lines": [{"line": "accrued", "reason": "two fees for one person"}]}
    made = api.post("/api/v1/settlements/2026-03/acknowledgements", json=dispute, token=books["AL"])
    assert made.status_code == 201 and made.get_json()["disputed_lines"][0]["line"] == "accrued"
    carried = api.get("/api/v1/settlements/2026-04", token=officer).get_json()["statement"]["open_items"]
    assert carried["disputed_lines"][0]["lines"] == [{"line": "accrued", "reason": "two fees for one person"}]


def test_only_partners_acknowledge_and_only_closed_periods(api, officer, books):
    body = {"agreement": GB_AL, "digest": "0" * 64, "accepted": True}
    assert_problem(api.post("/api/v1/settlements/2026-03/acknowledgements", json=body, token=officer),
                   403, "forbidden")
    assert_problem(api.post("/api/v1/settlements/2026-03/acknowledgements", json=body, token=books["AL"]),
                   409, "period_open")


def test_csv_report(api, officer, books):
    response = api.get("/api/v1/settlements/2026-04/report?format=csv", token=officer)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert 'filename="settlement-2026-04.csv.zip"' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    rows = list(csv.DictReader(io.StringIO(archive.read("agreements.csv").decode())))
    al = next(r for r in rows if r["agreement_id"] == str(GB_AL))
    assert al["closing"] == "2010.00" and al["paid"] == "19990.00" and al["currency"] == "GBP"


def test_xlsx_report_has_typed_cells(api, officer, books):
    response = api.get("/api/v1/settlements/2026-04/report?format=xlsx", token=officer)
    book = load_workbook(io.BytesIO(response.get_data()))
    assert {"Summary", "Party totals", "Signatures", "About"} <= set(book.sheetnames)
    summary = book["Summary"]
    header = [c.value for c in summary[1]]
    row = next(r for r in summary.iter_rows(min_row=2) if r[0].value == GB_AL)
    closing = row[header.index("Closing")]
    assert closing.data_type == "n" and Decimal(str(closing.value)) == Decimal("2010.00")
    assert closing.number_format == "#,##0.00"
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref.startswith("A1:")


def test_pdf_report(api, officer, books):
    api.post("/api/v1/settlements/2026-03/close", token=officer)
    response = api.get("/api/v1/settlements/2026-03/report?format=pdf", token=officer)
    assert response.status_code == 200 and response.get_data()[:5] == b"%PDF-"


def test_report_cli(api, officer, books, runner, tmp_path):
    out = tmp_path / "r.xlsx"
    result = runner.invoke(args=["report", "2026-04", "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    bad = runner.invoke(args=["report", "2026-13", "--format", "csv", "-o", str(out)])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output


def test_settle_close_cli(books, runner):
    result = runner.invoke(args=["settle", "close", "2026-03"])
    assert result.exit_code == 0, result.output
    assert "2026-03 closed: 3 statements signed" in result.output
    again = runner.invoke(args=["settle", "close", "2026-03"])
    assert again.exit_code == 1 and "already closed" in again.output


def _rotate(app, session, monkeypatch):
    """What a restart with a new LEDGER_SIGNING_KEY does (the start-up hook runs on its own connection)."""
    from ledger.config import _new_signing_key
    from ledger.settlement import keys, signing

    new = _new_signing_key()
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY", new)
    keys.record_current(session, signing.public_key_b64(signing.private_key(new)))
    session.commit()


def test_statements_verify_after_any_number_of_key_rotations(app, api, officer, books, session, runner, tmp_path,
                                                              monkeypatch):
    _rotate(app, session, monkeypatch)  # whatever key was recorded before is retired: this one signs March
    assert api.post("/api/v1/settlements/2026-03/close", token=officer).status_code == 200
    march_key = api.get("/api/v1/signing-key").get_json()["key_id"]
    _rotate(app, session, monkeypatch)
    assert api.post("/api/v1/settlements/2026-04/close", token=officer).status_code == 200
    _rotate(app, session, monkeypatch)
    _rotate(app, session, monkeypatch)

    published = api.get("/api/v1/signing-key").get_json()
    assert published["keys"][0]["key_id"] == published["key_id"] and published["keys"][0]["status"] == "current"
    retired = {k["key_id"]: k for k in published["keys"][1:]}
    assert march_key in retired and retired[march_key]["retired_at"] and retired[march_key]["valid_from"]
    assert all(k["status"] == "retired" for k in retired.values())

    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(published))
    for period in ("2026-03", "2026-04"):
        document = api.get(f"/api/v1/settlements/{period}", token=officer).get_json()["documents"][0]
        named = document["statement"]["signing_key_id"]
        assert named != published["key_id"] and document["key_id"] == named
        assert document["public_key"] == retired[named]["public_key"]  # the key that signed it, not today's
        path = tmp_path / f"{period}.json"
        path.write_text(json.dumps(document))
        ok = runner.invoke(args=["verify-statement", str(path), "--public-key", str(key_file)])
        assert ok.exit_code == 0, ok.output
        only_current = runner.invoke(args=["verify-statement", str(path), "--public-key", published["public_key"]])
        assert only_current.exit_code == 1 and named in only_current.output


def test_a_run_of_months_sums_the_movements_and_keeps_the_identity(app, api, officer, books, session):
    from ledger.settlement import reports, service

    key = service.signing_key(app.config)
    march = _line(api.get("/api/v1/settlements/2026-03", token=officer).get_json(), GB_AL)
    april = _line(api.get("/api/v1/settlements/2026-04", token=officer).get_json(), GB_AL)
    both = service.statement_of_months(session, service.months("2026-03", "2026-04"), None, None, key)
    assert both["status"] == "unsigned" and both["statement"]["periods"] == ["2026-03", "2026-04"]
    line = next(a for a in both["statement"]["agreements"] if a["agreement_id"] == GB_AL)
    assert (line["opening"], line["closing"]) == (march["opening"], april["closing"])
    for row in ("accrued", "adjustments", "paid", "approved"):
        assert Decimal(line[row]) == Decimal(march[row]) + Decimal(april[row])
    assert Decimal(line["opening"]) + Decimal(line["accrued"]) + Decimal(line["adjustments"]) \
        - Decimal(line["paid"]) == Decimal(line["closing"])
    book = load_workbook(io.BytesIO(reports.to_xlsx(both)))
    assert book["About"]["B1"].value == "2026-03..2026-04"
    with pytest.raises(Problem) as refused:
        service.statement_of_months(session, ["2026-01", "2026-03"], None, None, key)
    assert "follow one another" in str(refused.value.errors)


def test_partners_review_lines_through_the_api(api, officer, books):
    reviews = "/api/v1/settlements/2026-03/reviews"
    body = {"agreement": GB_AL, "line": "accrued", "decision": "disputed", "comment": "two fees for one person"}
    assert_problem(api.post(reviews, json=body, token=books["AL"]), 409, "period_open")
    api.post("/api/v1/settlements/2026-03/close", token=officer)
    assert_problem(api.post(reviews, json={**body, "agreement": GB_RW}, token=books["AL"]), 404, "not_found")
    assert_problem(api.post(reviews, json={**body, "comment": ""}, token=books["AL"]), 422, "validation_error")
    assert_problem(api.post(reviews, json=body, token=officer), 403, "forbidden")
    made = api.post(reviews, json=body, token=books["AL"])
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["line"], made.get_json()["resolved_at"]) == ("accrued", None)
    assert [r["id"] for r in api.get(reviews, token=books["AL"]).get_json()["items"]] == [made.get_json()["id"]]
    assert api.get(reviews, token=books["RW"]).get_json()["items"] == []
    carried = api.get("/api/v1/settlements/2026-04", token=officer).get_json()["statement"]["open_items"]
    assert [d["review"] for d in carried["statement_disputes"]] == [made.get_json()["id"]]
    resolve = f"/api/v1/settlements/reviews/{made.get_json()['id']}/resolve"
    assert_problem(api.post(resolve, json={"resolution": "credited"}, token=books["AL"]), 403, "forbidden")
    assert api.post(resolve, json={"resolution": "credited"}, token=officer).get_json()["resolution"] == "credited"
    assert_problem(api.post(resolve, json={"resolution": "again"}, token=officer), 409, "already_resolved")
    after = api.get("/api/v1/settlements/2026-04", token=officer).get_json()["statement"]["open_items"]
    assert after["statement_disputes"] == []
