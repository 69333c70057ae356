"""The advance is an obligation of its own: invoiced, paid, and only then offset against later invoices —
never against the invoice that asks for it; the statement shows where it stands."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from ledger.invoices import service as invoice_service
from ledger.statements.demo import GB_ACCOUNT, DemoTransfer, camt053
from tests.api.agreements_helpers import RWANDA_TERMS, obligations
from tests.api.invoices_helpers import TERMS, I, json_invoice, march_lines, post_json, setup_agreement
from tests.api.recon_helpers import RW_IBAN
from tests.settlement.test_statement_is_the_journal import S, _approval_period, _assert_statement_is_the_journal

ADVANCE = "200000.00"


def _approve(api, officer, invoice) -> dict:
    response = api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _pay(api, officer, invoice, day) -> None:
    """The payer's bank pays the invoice's open amount with its reference; reconciliation matches it."""
    document = camt053(GB_ACCOUNT, "GBP", [
        DemoTransfer(-Decimal(invoice["amount_open"]), invoice["payment_reference"], RW_IBAN, day),
    ], opening=Decimal("10000000.00"))
    imported = api.post("/api/v1/statements", token=officer, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(document), f"{invoice['number']}.xml")})
    assert imported.status_code == 201, imported.get_json()
    run = api.post("/api/v1/reconciliation/runs", json={}, token=officer).get_json()
    assert run["auto_matched"] == 1, run


def _advance_of(api, token, period, agreement_id) -> dict:
    view = api.get(f"{S}/{period}?agreement={agreement_id}", token=token).get_json()
    return view["statement"]["agreements"][0]["advance"]


def test_the_advance_is_invoiced_paid_and_only_then_offset(api, admin, officer, parties, session):
    for code, iban in (("GB", GB_ACCOUNT), ("RW", RW_IBAN)):
        body = {"name": f"Republic {code}", "bank_accounts": [{"iban": iban, "currency": "GBP"}]}
        assert api.put(f"/api/v1/parties/{code}", json=body, token=admin).status_code == 200
    ag = setup_agreement(api, admin, officer, parties["RW"], terms={**TERMS, "advance": RWANDA_TERMS["advance"]},
                         count=2)
    aid = ag["id"]
    (advance,) = [o for o in obligations(api, officer, aid) if o["kind"] == "advance"]
    assert (advance["amount"], advance["period"], advance["due_on"]) == (ADVANCE, "2026-02", "2026-02-01")

    # The advance invoiced as its own obligation: nothing offsets the invoice that asks for it.
    asked = post_json(api, json_invoice(ag, "RW-ADV", lines=[{"kind": "advance", "amount": ADVANCE}],
                                        period="2026-02",
                                        payment_reference=invoice_service.rf_reference("RWADV")),
                      parties["RW"]).get_json()
    assert asked["status"] == "accepted", asked["findings"]
    asked = _approve(api, officer, asked)
    assert (asked["advance_offset"], asked["amount_open"], asked["status"]) == ("0.00", ADVANCE, "approved")
    period = _approval_period(session, asked)
    assert _advance_of(api, officer, period, aid) == {
        "amount": ADVANCE, "paid": "0.00", "unpaid": ADVANCE, "offset": "0.00", "outstanding": "0.00"}

    # Unpaid, the advance offsets nothing: the first person's March invoice is owed in full.
    first = post_json(api, json_invoice(ag, "RW-1", lines=march_lines(ag, 1),
                                        payment_reference=invoice_service.rf_reference("RW1")),
                      parties["RW"]).get_json()
    first = _approve(api, officer, first)
    assert (first["advance_offset"], first["amount_open"], first["status"]) == ("0.00", "22500.00", "approved")

    _pay(api, officer, asked, date(2026, 4, 20))
    paid = api.get(f"{I}/{asked['id']}", token=officer).get_json()
    assert (paid["status"], paid["amount_open"]) == ("paid", "0.00")
    assert _advance_of(api, officer, period, aid) == {
        "amount": ADVANCE, "paid": ADVANCE, "unpaid": "0.00", "offset": "0.00", "outstanding": ADVANCE}

    # Paid, the advance covers the next invoice: the second person's March lines.
    second = post_json(api, json_invoice(ag, "RW-2", lines=march_lines(ag)[2:],
                                         payment_reference=invoice_service.rf_reference("RW2")),
                       parties["RW"]).get_json()
    second = _approve(api, officer, second)
    assert (second["advance_offset"], second["amount_open"], second["status"]) == ("22500.00", "0.00", "paid")
    assert _advance_of(api, officer, period, aid) == {
        "amount": ADVANCE, "paid": ADVANCE, "unpaid": "0.00", "offset": "22500.00", "outstanding": "177500.00"}
    _assert_statement_is_the_journal(api, officer, aid, period)


def test_an_agreement_without_an_advance_has_no_advance_section(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    line = api.get(f"{S}/2026-03?agreement={ag['id']}", token=officer).get_json()["statement"]["agreements"][0]
    assert "advance" not in line
