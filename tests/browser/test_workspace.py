"""The workspace in a real browser: sign in, refusals without a session or a CSRF token, sign out, lockout,
tables, and screenshots of the main pages at 1280 px and 400 px (in $LEDGER_SHOTS_DIR, default /tmp/shots)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.statements.demo import demo_months
from ledger.timeutil import period_of
from tests.browser.conftest import PASSWORD, sign_in

SHOTS = Path(os.environ.get("LEDGER_SHOTS_DIR", "/tmp/shots"))
FAILED = "Sign-in failed."


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def test_sign_in_lands_on_the_dashboard(page):
    sign_in(page)
    expect()(page).to_have_url(re.compile(r"/$"))
    expect()(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect()(page.get_by_role("navigation", name="Main")).to_contain_text("Journal")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ledger_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_a_page_without_a_session_sends_you_to_sign_in_then_back(page):
    page.goto("/accounts?currency=GBP")
    expect()(page).to_have_url(re.compile(r"/login\?next="))
    expect()(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email address").fill("officer@browser.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect()(page).to_have_url(re.compile(r"/accounts\?currency=GBP$"))
    expect()(page.get_by_role("heading", level=1)).to_have_text("Accounts")


def test_a_form_without_its_csrf_token_is_refused(page):
    sign_in(page)
    page.locator("form[action='/logout'] input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_role("button", name="Sign out").click()
    expect()(page.get_by_role("heading", level=1)).to_have_text("The request could not be used")
    expect()(page.locator("main")).to_contain_text("csrf_failed")
    page.goto("/")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Dashboard")  # still signed in


def test_a_post_without_a_session_is_refused(page, server):
    """A cross-site post has neither the session nor its token: refused as a page, before any view runs."""
    response = page.request.post(f"{server['url']}/logout", form={"csrf_token": "guessed"},
                                 headers={"Accept": "text/html"}, max_redirects=0)
    assert response.status == 400 and "text/html" in response.headers["content-type"]
    assert "csrf_failed" in response.text()


def test_sign_out_ends_the_session(page):
    sign_in(page)
    page.get_by_role("button", name="Sign out").click()
    expect()(page).to_have_url(re.compile(r"/login$"))
    expect()(page.get_by_role("status")).to_contain_text("You are signed out.")
    page.goto("/journal")
    expect()(page).to_have_url(re.compile(r"/login\?next=/journal"))


def test_repeated_failures_lock_the_account(page):
    for _ in range(5):
        sign_in(page, "lockout", "not the password")
        expect()(page.get_by_role("alert")).to_contain_text(FAILED)
    sign_in(page, "lockout")  # the right password, too late
    expect()(page.get_by_role("alert")).to_contain_text(FAILED)
    expect()(page).to_have_url(re.compile(r"/login$"))


def test_tables_sort_filter_and_page_on_the_server(page):
    """On the browser seed's 20 entries (source type "obligation"), whatever else the demo holds."""
    sign_in(page, path="/login?next=/journal%3Fsource_type%3Dobligation")
    expect()(page.locator(".pager p").first).to_contain_text("Rows 1–20 of 20")
    page.get_by_label("Period").fill("2026-03")
    page.get_by_role("button", name="Filter").click()
    expect()(page).to_have_url(re.compile(r"period=2026-03"))
    expect()(page.locator("tbody tr")).to_have_count(2)
    page.goto("/journal?source_type=obligation")
    page.get_by_role("link", name="Effective date").click()
    first_date = page.locator("tbody tr").first.locator("td").nth(1)
    expect()(first_date).to_have_text(re.compile(r"^2026-(01|10)-28$"))
    page.goto("/accounts?sort=balance&dir=desc")
    cells = page.locator("tbody tr td:last-child")
    expect()(cells.first).to_have_text(re.compile(r"^[\d,]+\.\d{2}\u00a0[A-Z]{3}$"))
    assert cells.first.evaluate("td => getComputedStyle(td).textAlign") == "right"
    values = [Decimal(t.replace(",", "").split("\u00a0")[0]) for t in cells.all_inner_texts()[:5]]
    assert values == sorted(values, reverse=True)  # sorted by the database, largest first


def test_auditors_read_the_audit_log_and_officers_are_refused(page):
    sign_in(page, "auditor", path="/login?next=/audit")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect()(page.locator("table")).to_contain_text("user.sign_in")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    sign_in(page, path="/login?next=/audit")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_the_keyboard_reaches_the_main_content_first(page):
    sign_in(page)
    expect()(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.keyboard.press("Tab")
    expect()(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect()(page).to_have_url(re.compile(r"#main$"))


MAIN_PAGES = [("dashboard", "/", "officer"), ("parties", "/parties", "officer"),
              ("accounts", "/accounts", "officer"), ("journal", "/journal", "officer"),
              ("journal-entry", "/journal/3", "officer"), ("not-found", "/journal/99999", "officer"),
              ("audit", "/audit", "auditor"), ("reconciliation", "/reconciliation", "officer"),
              ("invoices", "/invoices", "officer"), ("invoice", "/invoices/11", "officer"),
              ("invoice-findings", "/invoices/2", "officer"),
              ("settlement", "/settlement", "officer"),
              ("settlement-period", f"/settlement/{period_of(demo_months()[-1])}", "officer"),
              ("agreements", "/agreements", "officer"), ("agreement", "/agreements/1", "officer"),
              ("returnees", "/returnees", "officer"), ("statements", "/statements", "officer"),
              ("statement", "/statements/1", "officer"), ("claims", "/claims", "officer"),
              ("claim", "/claims/1", "officer")]


@pytest.mark.parametrize("width", [1280, 400])
def test_screenshots_of_the_main_pages(chromium, server, width):
    """Every main page renders without the page itself scrolling sideways (wide tables scroll in their box)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for who in ("officer", "auditor"):
        context = chromium.new_context(base_url=server["url"], viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto("/login")
        page.screenshot(path=SHOTS / f"login-{width}.png", full_page=True)
        sign_in(page, who)
        for name, path, role in MAIN_PAGES:
            if role != who:
                continue
            page.goto(path)
            page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px wide"
        context.close()
