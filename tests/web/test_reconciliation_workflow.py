"""The officer's reconciliation workflow in the pages: find & match with a write-off (four eyes above the role's
limit), reverse, bulk and threshold confirmation, stale pages, and one count of unmatched transfers."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.approvals.models import Approval
from ledger.reconciliation.models import ReconciliationAllocation, ReconciliationMatch
from ledger.statements.demo import demo_months
from ledger.statements.models import Transfer
from ledger.timeutil import period_of
from tests.api.recon_helpers import RW_IBAN, World
from tests.web.conftest import html


@pytest.fixture
def world(api, admin, officer, session, parties):
    return World(api, admin, officer, session, parties)


@pytest.fixture
def short_payment(world):
    """GB owes RW 1,000.00 on RW-INV-9 and paid 965.00 (35.00 short, beyond the agreement's tolerance)."""
    invoice = world.invoice("GB", "RW-INV-9", "1000.00")
    (transfer,) = world.statement([("-965.00", "Invoice RW-INV-9", RW_IBAN, date(2026, 5, 4))])
    return transfer, invoice


def _form(transfer: int, invoice: int, **extra) -> dict:
    return {"pick": f"invoice:{invoice}", f"amount-invoice:{invoice}": "965.00", "seen_allocated": "0", **extra}


def _post(browser, transfer: int, data: dict):
    page = f"/reconciliation/transfers/{transfer}"
    return browser.post(page, data, token_from=page)


def _matches(session, transfer: int) -> list[ReconciliationMatch]:
    session.expire_all()
    return list(session.execute(select(ReconciliationMatch).where(ReconciliationMatch.transfer_id == transfer))
                .scalars())


def test_the_search_offers_open_invoices_to_tick_no_ids_to_type(short_payment, officer_browser):
    transfer, invoice = short_payment
    page = html(officer_browser.get(f"/reconciliation/transfers/{transfer}"))
    assert f'name="pick" value="invoice:{invoice}"' in page and "RW-INV-9" in page
    assert "GB → RW" in page and 'name="transfer"' not in page
    assert 'data-find-match' in page and "Check totals" in page
    by_reference = html(officer_browser.get(f"/reconciliation/transfers/{transfer}?q=inv-9&amount=1000&tolerance=5"))
    assert f"invoice:{invoice}" in by_reference
    elsewhere = html(officer_browser.get(f"/reconciliation/transfers/{transfer}?amount=10&date_from=2030-01-01"))
    assert f"invoice:{invoice}" not in elsewhere and "Nothing open fits this search" in elsewhere


def test_checking_totals_without_javascript_keeps_the_picks(short_payment, officer_browser, session):
    transfer, invoice = short_payment
    page = html(_post(officer_browser, transfer, _form(transfer, invoice, check="1")))
    assert re.search(r"Allocated: <strong[^>]*>965\.00&nbsp;GBP", page) and "checked" in page
    assert _matches(session, transfer) == []


def test_a_write_off_within_the_limit_settles_the_invoice_to_the_named_account(short_payment, officer_browser,
                                                                             session, world):
    transfer, invoice = short_payment
    response = _post(officer_browser, transfer, _form(transfer, invoice, write_off="yes",
                                                      write_off_account="bank_charges",
                                                      write_off_reason="RW's bank deducted its charges"))
    assert response.status_code == 303, html(response)
    (match,) = _matches(session, transfer)
    assert response.headers["Location"].endswith(f"/reconciliation/matches/{match.id}")
    (allocation,) = session.execute(select(ReconciliationAllocation)
                                    .where(ReconciliationAllocation.match_id == match.id)).scalars()
    assert (allocation.amount, allocation.written_off) == (Decimal("965.00"), Decimal("35.00"))
    assert match.residual_account == "bank_charges" and match.status == "confirmed"
    assert world.invoice_row(invoice).status == "paid"
    assert session.get(Transfer, transfer).allocated == Decimal("965.00")
    page = html(officer_browser.get(response.headers["Location"]))
    assert "35.00 GBP short, written off → bank charges: RW&#39;s bank deducted its charges" in page
    assert "<summary>Details" in page


def test_a_write_off_above_the_limit_asks_a_second_officer_and_posts_nothing_until_approved(
        short_payment, officer_browser, session, app, person, world, monkeypatch):
    transfer, invoice = short_payment
    monkeypatch.setitem(app.config, "LEDGER_WRITE_OFF_LIMITS", {"finance_officer": Decimal("10.00")})
    data = _form(transfer, invoice, write_off="yes", write_off_account="rounding", write_off_reason="agreed")
    refused = _post(officer_browser, transfer, data)
    page = html(refused)
    assert refused.status_code == 422 and "35.00 GBP is above your limit of 10.00 GBP" in page
    assert 'value="agreed"' in page and f'value="invoice:{invoice}" id="pick-invoice-{invoice}" checked' in page
    assert "Ask a second officer to approve" in page and _matches(session, transfer) == []

    asked = _post(officer_browser, transfer, {**data, "ask_approval": "1"})
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/approvals")
    (approval,) = session.execute(select(Approval).where(Approval.status == "pending")).scalars()
    assert approval.amount == Decimal("35.00") and _matches(session, transfer) == []
    listing = html(officer_browser.get("/approvals"))
    assert approval.digest in listing and f"Withdraw request {approval.id}" in listing

    own = officer_browser.post(f"/approvals/{approval.id}/approve", {"digest": approval.digest},
                               token_from="/approvals")
    assert own.status_code == 403 and _matches(session, transfer) == []

    officer_browser.sign_out()
    person("second@test.example", "finance_officer")
    assert officer_browser.sign_in("second@test.example").status_code == 303
    wrong = officer_browser.post(f"/approvals/{approval.id}/approve", {"digest": "0" * 64}, token_from="/approvals")
    assert wrong.status_code == 303 and _matches(session, transfer) == []
    approved = officer_browser.post(f"/approvals/{approval.id}/approve", {"digest": approval.digest},
                                    token_from="/approvals")
    assert approved.status_code == 303
    (match,) = _matches(session, transfer)
    assert match.residual_account == "rounding" and match.created_by == "officer@test.example"
    assert world.invoice_row(invoice).status == "paid"
    assert "approved" in html(officer_browser.get("/approvals"))


def test_a_wrong_amount_is_shown_beside_its_invoice_and_what_was_typed_stays(short_payment, officer_browser, session):
    transfer, invoice = short_payment
    response = _post(officer_browser, transfer, {**_form(transfer, invoice), f"amount-invoice:{invoice}": "lots",
                                                 "write_off_reason": "kept"})
    page = html(response)
    assert response.status_code == 422 and 'value="lots"' in page and 'value="kept"' in page
    assert f'id="err-invoice-{invoice}"' in page and "give an amount as a number" in page
    nothing = _post(officer_browser, transfer, {"seen_allocated": "0"})
    assert nothing.status_code == 422 and "tick at least one invoice" in html(nothing)
    assert _matches(session, transfer) == []


def test_a_stale_or_repeated_match_says_who_changed_the_transfer_and_when(short_payment, officer_browser, session):
    transfer, invoice = short_payment
    first = _post(officer_browser, transfer, {**_form(transfer, invoice), f"amount-invoice:{invoice}": "500.00"})
    assert first.status_code == 303
    again = _post(officer_browser, transfer, {**_form(transfer, invoice), f"amount-invoice:{invoice}": "500.00"})
    page = html(again)
    (match,) = _matches(session, transfer)
    assert again.status_code == 409
    assert f"changed since this page was shown: match {match.id} was confirmed by officer@test.example at" in page
    assert 'value="500.00"' in page, "the form is kept"


def test_reversing_a_match_from_its_page_needs_a_reason(short_payment, officer_browser, session, world):
    transfer, invoice = short_payment
    _post(officer_browser, transfer, _form(transfer, invoice))
    (match,) = _matches(session, transfer)
    page = html(officer_browser.get(f"/reconciliation/matches/{match.id}"))
    assert f"Reverse match {match.id}" in page
    version = f'"match-{match.id}-{match.version}"'
    no_reason = officer_browser.post(f"/reconciliation/matches/{match.id}/reverse", {"version": version},
                                     token_from=f"/reconciliation/matches/{match.id}")
    assert no_reason.status_code == 303 and _matches(session, transfer)[0].status == "confirmed"
    assert "say why the match is reversed" in html(officer_browser.get(no_reason.headers["Location"]))
    reversed_ = officer_browser.post(f"/reconciliation/matches/{match.id}/reverse",
                                     {"version": version, "reason": "paid the wrong invoice"},
                                     token_from=f"/reconciliation/matches/{match.id}")
    assert reversed_.status_code == 303
    (row,) = _matches(session, transfer)
    assert (row.status, row.reason) == ("reversed", "paid the wrong invoice")
    assert world.invoice_row(invoice).amount_open == 1000 and session.get(Transfer, transfer).allocated == 0
    stale = officer_browser.post(f"/reconciliation/matches/{match.id}/reverse",
                                 {"version": version, "reason": "again"},
                                 token_from=f"/reconciliation/matches/{match.id}")
    followed = html(officer_browser.get(stale.headers["Location"]))
    assert f"match {match.id} was reversed by officer@test.example at" in followed


def _proposals(session) -> list[ReconciliationMatch]:
    session.expire_all()
    return list(session.execute(select(ReconciliationMatch).where(ReconciliationMatch.status == "proposed")
                                .order_by(ReconciliationMatch.id)).scalars())


def test_bulk_confirmation_decides_each_selected_proposal_and_reports_a_stale_one(demo, officer_browser, session):
    first, second, *_ = _proposals(session)
    data = {"match": [str(first.id), str(second.id)], "action": "confirm", "back": "/reconciliation",
            f"version-{first.id}": f'"match-{first.id}-{first.version}"',
            f"version-{second.id}": f'"match-{second.id}-{second.version}"'}
    page = html(officer_browser.get("/reconciliation"))
    assert f'name="match" value="{first.id}" form="bulk"' in page and "Confirm all at or above" in page
    response = officer_browser.post("/reconciliation/matches/bulk", data, token_from="/reconciliation")
    assert response.status_code == 303
    session.expire_all()
    assert {session.get(ReconciliationMatch, m.id).status for m in (first, second)} == {"confirmed"}
    again = officer_browser.post("/reconciliation/matches/bulk", data, token_from="/reconciliation")
    flashed = html(officer_browser.get(again.headers["Location"]))
    assert f"0 confirmed and posted; not changed: match {first.id} was confirmed by officer@test.example" in flashed


def test_confirm_all_at_or_above_a_confidence(demo, officer_browser, session):
    proposals = _proposals(session)
    floor = max(Decimal(p.confidence) for p in proposals)
    sure = [p.id for p in proposals if Decimal(p.confidence) >= floor]
    response = officer_browser.post("/reconciliation/matches/confirm-confident", {"confidence": str(floor)},
                                    token_from="/reconciliation")
    assert response.status_code == 303
    left = {p.id for p in _proposals(session)}
    assert not left & set(sure) and left == {p.id for p in proposals} - set(sure)
    wrong = officer_browser.post("/reconciliation/matches/confirm-confident", {"confidence": "high"},
                                 token_from="/reconciliation")
    assert "give a number from 0 to 1" in html(officer_browser.get(wrong.headers["Location"]))


def test_one_count_of_unmatched_transfers_on_the_run_the_list_the_dashboard_and_the_settlement(demo, officer_browser):
    response = officer_browser.post("/reconciliation/runs", token_from="/reconciliation")
    queue = html(officer_browser.get(response.headers["Location"]))
    ran = int(re.search(r"proposed for review; (\d+) transfers unmatched", queue).group(1))
    listed = int(re.search(r"Unmatched transfers: <span data-unmatched-count>(\d+)</span>", queue).group(1))
    home = html(officer_browser.get("/"))
    dashboard = int(re.search(r"Unmatched transfers</a>: <strong>(\d+)</strong>", home).group(1))
    period = period_of(demo_months()[-1])
    settlement = html(officer_browser.get(f"/settlement/{period}"))
    settled = int(re.search(r"<strong data-unmatched-count>(\d+)</strong> today", settlement).group(1))
    assert ran == listed == dashboard == settled > 0
    assert "An unmatched transfer is a booked bank transfer" in queue and "An unmatched transfer is" in settlement


def test_a_credit_refunding_part_of_a_credit_note_is_found_and_matched(world, officer_browser, session):
    note = world.credit_note("GB", "RW-CN-7", "750.00")
    (refund,) = world.statement([("500.00", "Refund", RW_IBAN, date(2026, 5, 3))])
    path = f"/reconciliation/transfers/{refund}"
    page = html(officer_browser.get(path))
    assert f'value="invoice:{note}"' in page and "credit note RW-CN-7" in page and "RW → GB" in page
    response = _post(officer_browser, refund, {"pick": f"invoice:{note}", f"amount-invoice:{note}": "500.00",
                                               "seen_allocated": "0"})
    assert response.status_code == 303, html(response)
    assert world.invoice_row(note).amount_open == Decimal("-250.00")
    assert session.get(Transfer, refund).allocated == Decimal("500.00")
