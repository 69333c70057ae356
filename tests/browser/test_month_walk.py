"""An officer's month-end in Chromium, on the demo: import a statement that is not a plain success (a warning,
not "Done"), a file that is no statement (refused, the form kept), void the wrong import with a reason, and close
a month from its checklist, earlier open months first, in one step. Each step is screenshot at 1366×768 and
390×844 into $LEDGER_ARTEFACTS_DIR (default test-results/browser/ in the repository, which git ignores)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.browser.conftest import PASSWORD, REPO, sign_in
from tests.browser.test_workspace import expect

ARTEFACTS = Path(os.environ.get("LEDGER_ARTEFACTS_DIR", REPO / "test-results" / "browser"))
SIZES = ((1366, 768), (390, 844))

#: An MT940 on an account no party holds, whose closing balance does not follow from its entries.
WRONG = (b":20:WALK1\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C240301EUR0,00\n"
         b":61:2403010301C43985,66NTRFNONREF\n:86:first\n"
         b":61:2403020302C1000,00NTRFNONREF\n:86:second\n"
         b":62F:C240303EUR99,99\n-\n")


def shoot(page, step: str) -> None:
    """The page as it is now, at each size (full page), then back to the size it had."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=ARTEFACTS / f"{step}-{width}x{height}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{step} scrolls sideways by {overflow}px at {width}px wide"
    page.set_viewport_size(before)


def upload(page, name: str, content: bytes) -> None:
    page.get_by_label("Statement file").set_input_files({"name": name, "mimeType": "application/octet-stream",
                                                         "buffer": content})
    with page.expect_navigation():
        page.get_by_role("button", name="Import").click()


def test_a_file_that_is_not_a_statement_is_refused_on_the_form(page):
    sign_in(page, path="/login?next=/statements")
    upload(page, "holiday.png", b"\x89PNG\r\n\x1a\nnot a statement at all")
    expect()(page.get_by_role("alert")).to_contain_text("Nothing was changed.")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Statements")
    expect()(page.get_by_label("Statement file")).to_be_visible()  # the form is there to try again
    shoot(page, "01-import-not-a-statement")


def test_import_with_a_warning_then_void_it(page):
    sign_in(page, path="/login?next=/statements")
    upload(page, "wrong.sta", WRONG)
    expect()(page).to_have_url(re.compile(r"/statements/\d+$"))
    status = page.get_by_role("status")
    expect()(status).to_contain_text("Warning:")
    expect()(status).to_contain_text("no party holds")
    expect()(status).not_to_contain_text("Done:")
    expect()(page.locator("main")).to_contain_text("Warning: mismatch")
    shoot(page, "02-import-warning")

    page.get_by_label("Why is it voided?").fill("the bank's export was cut short; a corrected file follows")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Void the import").click()
    expect()(page.get_by_role("status").first).to_contain_text("is voided")
    expect()(page.locator("#voided")).to_contain_text("officer@browser.example")
    expect()(page.get_by_role("button", name="Void the import")).to_have_count(0)
    shoot(page, "03-import-voided")
    page.goto("/statements?result=voided")
    expect()(page.locator("main table tbody tr")).to_have_count(1)


def test_close_a_month_from_its_checklist_with_the_earlier_months_in_order(page):
    sign_in(page, path="/login?next=/settlement%3Fstatus%3Dopen%26sort%3Dperiod%26dir%3Dasc")
    periods = [p.strip() for p in page.locator("main table tbody tr td:first-child").all_inner_texts()]
    assert len(periods) >= 3, periods
    target = periods[2]
    page.goto(f"/settlement/{target}")
    checklist = page.locator("#close")
    expect()(checklist).to_contain_text(f"{target} cannot be closed yet")
    expect()(checklist).to_contain_text(f"Earlier months are still open ({periods[0]}, {periods[1]})")
    expect()(checklist.locator("[data-check=unreconciled_transfers]")).to_be_visible()
    expect()(page.get_by_role("button", name=f"Close {target}", exact=True)).to_have_count(0)
    shoot(page, "04-close-checklist")

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Close 3 months in order").click()
    expect()(page.get_by_role("status").first).to_contain_text(f"Closed in order: {', '.join(periods[:3])}")
    expect()(page.locator("main dl.facts")).to_contain_text("closed")
    shoot(page, "05-closed-in-order")


def test_the_dashboard_shows_a_card_per_partner_by_name(page):
    sign_in(page)
    cards = page.locator(".partner-card")
    expect()(cards.first).to_be_visible()
    names = cards.locator("h3").all_inner_texts()
    assert names and all(len(name) > 2 for name in names), names  # names, not two-letter codes
    expect()(cards.locator("svg[role=img] polyline").first).to_be_attached()
    shoot(page, "00-dashboard")


def test_a_session_that_ends_while_a_form_is_open_keeps_what_was_typed(page):
    sign_in(page, path="/login?next=/agreements")
    page.get_by_role("link", name="GB-RW-DEMO-01").click()
    page.get_by_role("link", name="Amend with a field per term").click()
    support = page.get_by_label(re.compile(r"^Monthly support per returnee"))
    support.fill("1234.56")
    page.context.clear_cookies()  # the session ends while the form is open
    with page.expect_navigation():
        page.get_by_role("button", name="Preview what it re-prices").click()
    expect()(page.locator("main")).to_contain_text("You are not signed in any more")
    shoot(page, "06-session-ended")
    page.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email address").fill("officer@browser.example")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect()(page).to_have_url(re.compile(r"/agreements/\d+/terms$"))
    expect()(page.get_by_label(re.compile(r"^Monthly support per returnee"))).to_have_value("1234.56")
    expect()(page.locator(".draft-restored")).to_contain_text("filled in again")
