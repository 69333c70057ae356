"""The Payments pages: the demo's released batch with its file, a batch proposed by one officer, approved on
the page by another (the digest they saw), released and downloaded; refusals shown with nothing changed."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from ledger.agreements.models import Agreement
from ledger.invoices.models import Invoice
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.journal.service import post_entries
from ledger.money import Money
from ledger.payments import pain001
from ledger.payments.models import PaymentBatch, PaymentItem
from ledger.statements.demo import GB_ACCOUNT
from ledger.timeutil import today
from tests.web.conftest import html


def approved_invoice(session, number: str, amount: str) -> int:
    agreement = session.execute(select(Agreement).where(Agreement.reference == "GB-RW-DEMO-01")).scalar_one()
    money = Money.of(amount, "GBP")
    day = today()
    invoice = Invoice(agreement_id=agreement.id, payee_code="RW", payer_code="GB", number=number,
                      document_type="invoice", issued_on=day, due_on=day, currency="GBP", period="2026-03",
                      total=money.amount, payable=money.amount, amount_open=money.amount, status="approved",
                      source="json")
    session.add(invoice)
    session.flush()
    post_entries(session, [EntryDraft(day, (
        debit(AccountKey("returns_costs", "GBP", "GB", "RW", agreement.id), money),
        credit(AccountKey("invoices_payable", "GBP", "RW", "GB", agreement.id), money)),
        "invoice_approval", str(invoice.id), f"invoice {number} approved")])
    session.commit()
    return invoice.id


def test_the_demo_batch_is_released_with_its_file(demo, officer_browser, session):
    batch = session.execute(select(PaymentBatch)).scalars().first()
    assert batch.status == "released"
    assert f'href="/payments/{batch.id}"' in html(officer_browser.get("/payments"))
    page = html(officer_browser.get(f"/payments/{batch.id}"))
    assert "ordered" in page and f"{batch.message_id}.xml" in page
    pain001.validate(officer_browser.get(f"/payments/{batch.id}/pain001").data)


def test_one_officer_proposes_another_approves_then_release(demo, browser, person, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_PAYMENTS_SECOND_APPROVAL_ABOVE", "10000000.00")  # one approver here
    invoice = approved_invoice(session, "RW-PAGE-1", "1234.56")
    person("preparer@test.example")
    person("approver@test.example")
    assert browser.sign_in("preparer@test.example").status_code == 303
    day = today()
    form = {"debtor_account": GB_ACCOUNT, "due_by": (day + timedelta(days=90)).isoformat(),
            "execution_date": (day + timedelta(days=1)).isoformat()}
    answer = browser.post("/payments", form, token_from="/payments")
    here = answer.headers["Location"]
    page = html(browser.get(here))
    assert "You prepared this batch" in page and "RW-PAGE-1" in page
    assert "GB-RW-DEMO-01/advance" in page  # the demo agreement's advance, now payable, is proposed too
    batch = session.execute(select(PaymentBatch).order_by(PaymentBatch.id.desc())).scalars().first()
    [item] = session.execute(select(PaymentItem).where(PaymentItem.invoice_id == invoice)).scalars()
    assert item.batch_id == batch.id and item.amount == Decimal("1234.56") and batch.status == "proposed"
    again = browser.post("/payments", form, token_from="/payments")
    assert "Nothing was changed." in html(browser.get(again.headers["Location"]))

    browser.sign_out()
    assert browser.sign_in("approver@test.example").status_code == 303
    page = html(browser.get(here))
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)
    browser.post(f"{here}/approve", {"digest": digest}, token_from=here)
    assert "Approved." in html(browser.get(here))
    browser.post(f"{here}/release", {}, token_from=here)
    page = html(browser.get(here))
    assert "Released" in page and "pain.001.001.09" in page
    pain001.validate(browser.get(f"{here}/pain001").data)
    session.expire_all()
    row = session.get(Invoice, invoice)
    assert (row.amount_open, row.amount_in_transit, row.status) == (0, Decimal("1234.56"), "in_transit")


def test_auditors_see_batches_but_no_forms(demo, auditor_browser, session):
    batch = session.execute(select(PaymentBatch)).scalars().first()
    assert "Propose a payment batch" not in html(auditor_browser.get("/payments"))
    refused = auditor_browser.post(f"/payments/{batch.id}/release", {}, token_from=f"/payments/{batch.id}")
    assert refused.status_code == 403


def test_a_debit_of_another_amount_waits_on_the_reconciliation_queue_with_its_reason(demo, api, officer,
                                                                                       officer_browser, session):
    """The demo batch's transfer debited for 1.00 more than ordered: no EndToEndId match, an exception on the
    review queue saying why, and confirming it is refused with nothing posted."""
    import io

    from ledger.payments import camt054
    from ledger.reconciliation.models import ReconciliationMatch

    item = session.execute(select(PaymentItem).where(PaymentItem.status == "ordered")).scalars().first()
    batch = session.get(PaymentBatch, item.batch_id)
    document = camt054.build(batch.debtor_account, item.currency, [camt054.Debit(
        item.end_to_end_id, item.amount + Decimal("1.00"), item.creditor_account, item.creditor_name, today(),
        "WEB-EXC")], message_id="CAMT-WEB-EXC")
    imported = api.post("/api/v1/statements", token=officer, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(document), "camt054.xml")})
    assert imported.status_code == 201, imported.get_json()
    assert api.post("/api/v1/reconciliation/runs", json={}, token=officer).status_code == 201
    session.expire_all()
    [exception] = session.execute(select(ReconciliationMatch).where(
        ReconciliationMatch.method == "end_to_end_id_exception")).scalars().all()
    assert exception.status == "proposed" and exception.journal_entry_id is None
    here = f"/reconciliation/matches/{exception.id}"
    assert "amount_differs_from_order" in html(officer_browser.get(here))
    assert "amount_differs_from_order" in html(officer_browser.get("/reconciliation"))
    version = f'"match-{exception.id}-{exception.version}"'
    answer = officer_browser.post(f"{here}/confirm", {"version": version}, token_from=here)
    assert "Nothing was changed." in html(officer_browser.get(answer.headers["Location"]))
    session.expire_all()
    assert session.get(ReconciliationMatch, exception.id).status == "proposed"
    assert session.get(PaymentItem, item.id).status == "ordered"
