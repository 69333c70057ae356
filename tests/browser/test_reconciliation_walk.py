"""An officer's reconciliation in Chromium, on the demo: run, bulk-confirm proposals by keyboard, reverse a match,
and find & match a short payment with a write-off; each step screenshot at 1366×768 and 390×844.

This module serves its own ledger (gunicorn on a fresh SQLite file with the demo), so the other browser tests keep
the demo as it was. Screenshots go to LEDGER_ARTEFACTS_DIR (default: test-results/reconciliation-walk, not
committed). The walk's duration is printed (BENCHMARKS.md quotes it); nothing here asserts on time.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from ledger.statements.demo import GB_ACCOUNT, RW_ACCOUNT, demo_months
from tests.browser.conftest import PASSWORD, REPO, _ledger, launch
from tests.serving import free_port, start_gunicorn, wait_for_health

ARTEFACTS = Path(os.environ.get("LEDGER_ARTEFACTS_DIR", REPO / "test-results" / "reconciliation-walk"))
SIZES = {"wide": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
OFFICER = "walker@browser.example"


@pytest.fixture(scope="module")
def ledger_env(tmp_path_factory, playwright):
    """A ledger of its own: migrated, the demo, one officer; gunicorn serving it."""
    folder = tmp_path_factory.mktemp("walk")
    port = free_port()
    env = {**os.environ, "LEDGER_ENV": "development", "LEDGER_DATABASE_URL": f"sqlite:///{folder / 'ledger.sqlite3'}",
           "LEDGER_BIND": f"127.0.0.1:{port}", "LEDGER_WORKERS": "2",
           "LEDGER_SECRET_KEY": secrets.token_urlsafe(48), "LEDGER_PSEUDONYM_KEY": secrets.token_urlsafe(48),
           "LEDGER_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
           "LEDGER_USER_PASSWORD": PASSWORD, "LEDGER_LOG_LEVEL": "WARNING", "LEDGER_SIGNIN_RATE": "1000 per minute"}
    _ledger(env, "db", "upgrade")
    _ledger(env, "demo")
    _ledger(env, "users", "create", "--email", OFFICER, "--role", "finance_officer")
    log = folder / "gunicorn.log"
    process = start_gunicorn(env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log)
        browser = launch(playwright)
        yield {"url": url, "env": env, "folder": folder, "browser": browser}
        browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _support_b() -> str:
    """The demo's second support top-up of its last month (`ledger/reconciliation/demo.py`), e.g. RW-SUP-2026-10B."""
    return f"RW-SUP-{demo_months()[-1]:%Y-%m}B"


def _short_payment(env: dict, folder: Path) -> None:
    """GB pays RW 12,465.00 quoting the last month's RW-SUP-…B (open 12,500.00): 35.00 short, beyond the 12.50 the
    terms allow."""
    day = demo_months()[-1].replace(day=28)
    csv = folder / "short.csv"
    csv.write_text("account_iban,booking_date,amount,currency,direction,counterparty_iban,remittance\n"
                   f"{GB_ACCOUNT},{day.isoformat()},12465.00,GBP,debit,{RW_ACCOUNT},Support {_support_b()}\n")
    _ledger(env, "statements", "import", str(csv))


def _shoot(ledger_env, page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTEFACTS / f"{name}-1366.png", full_page=False)
    phone = ledger_env["browser"].new_context(viewport=SIZES["phone"], storage_state=page.context.storage_state())
    copy = phone.new_page()
    copy.goto(page.url)
    copy.screenshot(path=ARTEFACTS / f"{name}-390.png", full_page=False)
    overflow = copy.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    phone.close()
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 390px wide"


def _flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def test_an_officers_reconciliation_walk(ledger_env):
    context = ledger_env["browser"].new_context(base_url=ledger_env["url"], viewport=SIZES["wide"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    started = time.perf_counter()
    page.goto("/login")
    page.get_by_label("Email address").fill(OFFICER)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    # 1. Run reconciliation: the message's count is the list's.
    page.goto("/reconciliation")
    with page.expect_navigation():
        page.get_by_role("button", name="Run reconciliation").click()
    ran = re.search(r"(\d+) transfers unmatched", _flash(page)).group(1)
    assert page.locator("[data-unmatched-count]").inner_text() == ran
    _shoot(ledger_env, page, "1-run")

    # 2. Bulk confirm by keyboard: j x j x, then Shift+A confirms the two selected.
    proposals = page.locator("article.match[data-status=proposed]")
    assert proposals.count() >= 2
    ids = [proposals.nth(i).get_attribute("data-match") for i in range(2)]
    page.locator("h1").click()
    page.keyboard.press("?")
    assert page.locator("#keys-help").is_visible()
    page.keyboard.press("?")
    for _ in range(2):
        page.keyboard.press("j")
        page.keyboard.press("x")
    assert page.locator("input[name=match]:checked").count() == 2
    with page.expect_navigation():
        page.keyboard.press("Shift+A")
    assert f"2 confirmed and posted ({', '.join(ids)})" in _flash(page)
    _shoot(ledger_env, page, "2-bulk-confirmed")

    # 3. Reverse one of them from its page, with a reason.
    page.goto(f"/reconciliation/matches/{ids[1]}")
    assert "Why:" in page.inner_text("article.match")
    page.get_by_label("Reason for reversing").fill("paid the wrong top-up")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Reverse match {ids[1]}").click()
    assert f"Match {ids[1]} reversed" in _flash(page)
    _shoot(ledger_env, page, "3-reversed")

    # 4. Find & match a short payment, writing off the remaining 35.00 to bank charges.
    _short_payment(ledger_env["env"], ledger_env["folder"])
    page.goto("/reconciliation?t_sort=-booking_date")
    page.get_by_role("link", name=re.compile(r"^\d+$")).first.click()
    page.get_by_label("Reference or number").fill(_support_b())
    page.get_by_label("Party (code or name)").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    page.get_by_role("checkbox", name=_support_b()).check()
    assert "12,465.00" in page.locator("[data-allocated]").inner_text()
    assert "35.00" in page.locator("[data-shortfall]").inner_text()
    page.get_by_label(re.compile("Write off the remaining 35.00")).check()
    page.get_by_label("To the account").select_option("bank_charges")
    page.get_by_label("Reason").fill("RW's bank deducted its charges")
    _shoot(ledger_env, page, "4-find-and-match")
    with page.expect_navigation():
        page.get_by_role("button", name="Save match").click()
    assert "matched by hand" in _flash(page)
    assert "35.00 GBP short, written off → bank charges" in page.inner_text("article.match")
    _shoot(ledger_env, page, "5-matched-with-write-off")
    elapsed = time.perf_counter() - started
    print(f"\nreconciliation walk: {elapsed:.1f} s (screenshots included)")
    (ARTEFACTS / "walk-seconds.txt").write_text(f"{elapsed:.2f}\n")
    context.close()


def test_a_form_typed_into_survives_an_expired_session(ledger_env):
    """The session ends while the officer types: the save is refused, and after signing in again the page gives
    back what was typed (kept in the tab, never sent anywhere else)."""
    context = ledger_env["browser"].new_context(base_url=ledger_env["url"], viewport=SIZES["wide"])
    context.set_default_timeout(15_000)
    page = context.new_page()

    def sign_in():
        page.goto("/login")
        page.get_by_label("Email address").fill(OFFICER)
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()

    sign_in()
    page.goto("/reconciliation")
    page.get_by_role("link", name=re.compile(r"^\d+$")).first.click()
    here = page.url
    page.get_by_label("Reference or number").fill("nothing-like-this")
    page.get_by_label("Reason").fill("kept across the sign-in")
    context.clear_cookies()
    with page.expect_navigation():
        page.get_by_role("button", name="Save match").click()
    assert "not signed in any more" in page.inner_text("main")
    sign_in()
    page.goto(here)
    assert page.get_by_label("Reference or number").input_value() == "nothing-like-this"
    assert page.get_by_label("Reason").input_value() == "kept across the sign-in"
    context.close()
