"""The feature pages in a real browser on the demo ledger: confirm a proposed match in the reconciliation queue
and see the invoice's status change; download a settlement report; import a statement with its progress bar;
refusals without a session and without a CSRF token."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ledger.statements.demo import demo_months
from ledger.timeutil import period_of
from tests.browser.conftest import sign_in
from tests.browser.test_workspace import expect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"


def first_proposal(page) -> tuple[str, str]:
    """(match id, invoice id) of the first proposed match in the queue."""
    card = page.locator("article.match").first
    match_id = re.search(r"Match (\d+)", card.get_by_role("heading").first.inner_text()).group(1)
    href = card.locator("a[href^='/invoices/']").first.get_attribute("href")
    return match_id, href.rsplit("/", 1)[1]


def test_confirm_a_proposed_match_and_see_the_invoice_change(page):
    sign_in(page, path="/login?next=/reconciliation")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Reconciliation")
    match_id, invoice_id = first_proposal(page)
    page.goto(f"/invoices/{invoice_id}")
    expect()(page.locator(".invoice-status")).to_have_text(re.compile(r"^approved"))
    page.goto("/reconciliation")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Confirm match {match_id}", exact=True).click()
    expect()(page.get_by_role("status")).to_contain_text(f"Match {match_id} confirmed and posted")
    page.goto(f"/invoices/{invoice_id}")
    expect()(page.locator(".invoice-status")).to_have_text(re.compile(r"^(paid|partially paid)$"))
    expect()(page.locator("main")).to_contain_text(f"Match {match_id} (confirmed")


def test_confirming_without_the_csrf_token_is_refused(page):
    sign_in(page, path="/login?next=/reconciliation")
    form = page.locator("form[action$='/confirm']").first
    action = form.get_attribute("action")
    form.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    with page.expect_navigation():
        form.get_by_role("button").click()
    expect()(page.get_by_role("heading", level=1)).to_have_text("The request could not be used")
    expect()(page.locator("main")).to_contain_text("csrf_failed")
    page.goto("/reconciliation?status=proposed")
    expect()(page.locator(f"form[action='{action}']")).to_have_count(1)  # still waiting for a decision


def test_the_queue_needs_a_session(page, server):
    page.goto("/reconciliation")
    expect()(page).to_have_url(re.compile(r"/login\?next=/reconciliation"))
    response = page.request.post(f"{server['url']}/reconciliation/runs", headers={"Accept": "text/html"},
                                 max_redirects=0)
    assert response.status == 400 and "csrf_failed" in response.text()


def test_download_a_settlement_report(page):
    month = period_of(demo_months()[-1])  # the demo's last month (gunicorn's clock shows the tests' date)
    sign_in(page, path=f"/login?next=/settlement/{month}")
    # The tagged PDF of a whole month is laid out by WeasyPrint: seconds on a quiet machine, more than the pages'
    # 10 s default wait when the host is shared; this waits for the file, it does not judge its speed.
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("link", name=f"PDF report for {month}").click()
    download = info.value
    assert download.suggested_filename == f"settlement-{month}.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as info:
        page.get_by_role("link", name=f"CSV report for {month}").click()
    assert info.value.suggested_filename == f"settlement-{month}.csv.zip"
    assert "agreements.csv" in zipfile.ZipFile(info.value.path()).namelist()


def test_import_a_statement_with_progress(page):
    sign_in(page, path="/login?next=/statements")
    page.get_by_label("Statement file").set_input_files(str(FIXTURES / "camt.053.001.02.xml"))
    seen = []
    page.on("request", lambda r: seen.append((r.method, r.resource_type)))
    with page.expect_navigation(url=re.compile(r"/statements/\d+$")):
        page.get_by_role("button", name="Import").click()
    assert ("POST", "xhr") in seen, "sent by the progress bar's script"
    expect()(page.get_by_label("Upload progress")).to_have_count(0)  # the summary page has none
    expect()(page.get_by_role("status")).to_contain_text("Statement imported:")
    expect()(page.locator("main")).to_contain_text("Balance check")


def test_the_queue_is_usable_from_the_keyboard(page):
    """Tab order reaches a match's buttons with a visible focus outline (nothing is submitted here)."""
    sign_in(page, path="/login?next=/reconciliation")
    card = page.locator("article.match").first
    card.locator("input[name=reason]").focus()
    page.keyboard.press("Shift+Tab")
    confirm = card.locator("form[action$='/confirm'] button")
    expect()(confirm).to_be_focused()
    assert confirm.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect()(card.locator("form[action$='/reject'] button")).to_be_focused()
