"""A month end to end through the API: accrued obligations, an approved invoice, a payment matched by
reconciliation; the statement's figures agree with the journal, and the closed statement verifies."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

from ledger.invoices import service as invoice_service
from ledger.journal import service as journal
from ledger.statements.demo import GB_ACCOUNT, DemoTransfer, camt053
from tests.api.agreements_helpers import accrue, obligations
from tests.api.invoices_helpers import I, json_invoice, setup_agreement
from tests.api.recon_helpers import RW_IBAN

S = "/api/v1/settlements"


def _total(items, period=None, before=None) -> Decimal:
    return sum((Decimal(o["amount"]) for o in items
                if (period is None or o["period"] == period) and (before is None or o["period"] < before)),
               Decimal(0))


def test_a_reconciled_month_closes_and_verifies(api, admin, officer, parties, session, runner, tmp_path,
                                                monkeypatch):
    for code, iban in (("GB", GB_ACCOUNT), ("RW", RW_IBAN)):
        body = {"name": f"Republic {code}", "bank_accounts": [{"iban": iban, "currency": "GBP"}]}
        assert api.put(f"/api/v1/parties/{code}", json=body, token=admin).status_code == 200
    agreement = setup_agreement(api, admin, officer, parties["RW"])
    aid = agreement["id"]
    accrue(api, officer, aid, "2026-04")
    monkeypatch.setattr(invoice_service, "today", lambda: date(2026, 4, 10))  # approved in April
    created = api.post(I, json=json_invoice(agreement), token=parties["RW"])
    assert created.status_code == 201, created.get_json()
    invoice = created.get_json()
    approved = api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer)
    assert approved.status_code == 200, approved.get_json()
    payable = Decimal(approved.get_json()["payable"])

    document = camt053(GB_ACCOUNT, "GBP", [
        DemoTransfer(-payable, invoice["payment_reference"], RW_IBAN, date(2026, 4, 20)),
        DemoTransfer(Decimal("100.00"), "Refund of overpaid support", RW_IBAN, date(2026, 4, 25)),
    ], opening=Decimal("10000000.00"))
    imported = api.post("/api/v1/statements", token=officer, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(document), "april.xml")})
    assert imported.status_code == 201, imported.get_json()
    run = api.post("/api/v1/reconciliation/runs", json={}, token=officer).get_json()
    assert run["auto_matched"] == 1

    items = obligations(api, officer, aid)
    view = api.get(f"{S}/2026-04?agreement={aid}", token=officer).get_json()["statement"]
    (line,) = view["agreements"]
    opening, accrued = _total(items, before="2026-04"), _total(items, period="2026-04")
    assert Decimal(line["opening"]) == opening and Decimal(line["accrued"]) == accrued
    assert Decimal(line["approved"]) == payable and Decimal(line["paid"]) == payable
    assert Decimal(line["closing"]) == opening + accrued - payable
    assert line["reference"] == agreement["reference"] and (line["payer"], line["payee"]) == ("GB", "RW")
    owed = sum(balance for account, balance in journal.balances(session, period="2026-04")
               if account.agreement_id == aid and account.purpose in ("obligations", "invoices_payable"))
    assert Decimal(line["closing"]) == -owed
    march = api.get(f"{S}/2026-03?agreement={aid}", token=officer).get_json()["statement"]["agreements"][0]
    assert Decimal(march["invoiced"]) == payable and march["quota"]["present"] == 3
    open_items = view["open_items"]
    assert [t["amount"] for t in open_items["unreconciled_transfers"]] == ["100.00"]
    assert open_items["overdue_invoices"] == [] and open_items["proposed_matches"] == []
    assert api.get(f"{S}/2026-04", token=parties["DE"]).get_json()["statement"]["open_items"][
        "unreconciled_transfers"] == []

    for period in ("2026-02", "2026-03", "2026-04"):
        closed = api.post(f"{S}/{period}/close", token=officer)
        assert closed.status_code == 200, closed.get_json()
    signed = api.get(f"{S}/2026-04?agreement={aid}", token=parties["RW"]).get_json()["documents"][0]
    assert signed["statement"]["agreements"][0]["closing"] == line["closing"]
    key = api.get("/api/v1/signing-key").get_json()
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(signed))
    verified = runner.invoke(args=["verify-statement", str(path), "--public-key", key["public_key"]])
    assert verified.exit_code == 0, verified.output
