"""Browser tests: the app served by gunicorn on 127.0.0.1 with the demo data, driven by Debian's Chromium
through Python playwright (the package only: no downloaded browsers).

Without Chromium or playwright the tests are skipped with the reason, except under CI=true where that is a
failure (`.ci/run` installs both).
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import free_port, start_gunicorn, wait_for_health

CHROMIUM = os.environ.get("LEDGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "browser tests password"
PEOPLE = {"officer": ("officer@browser.example", "finance_officer"),
          "auditor": ("auditor@browser.example", "auditor"),
          "lockout": ("lockout@browser.example", "finance_officer"),
          "partner": ("partner@browser.example", "partner")}
#: The party each partner person acts for.
PARTNER_OF = {"partner": "RW"}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI=true the browser tests must run (.ci/run installs what they need)")
    pytest.skip(reason)


def _sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


def _ledger(env: dict, *args: str, **kw) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from ledger.cli import main; main()", *args]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False, **kw)
    assert result.returncode == 0, f"ledger {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app under gunicorn on a fresh SQLite file: migrated, demo data, people to sign in as."""
    _sync_playwright()  # skip before starting anything when the browser cannot run
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    env = {**os.environ, "LEDGER_ENV": "development", "LEDGER_DATABASE_URL": f"sqlite:///{folder / 'ledger.sqlite3'}",
           "LEDGER_BIND": f"127.0.0.1:{port}", "LEDGER_WORKERS": "2",
           "LEDGER_SECRET_KEY": secrets.token_urlsafe(48), "LEDGER_PSEUDONYM_KEY": secrets.token_urlsafe(48),
           "LEDGER_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
           "LEDGER_USER_PASSWORD": PASSWORD, "LEDGER_LOG_LEVEL": "WARNING",
           "LEDGER_SIGNIN_RATE": "1000 per minute"}  # every test signs in from 127.0.0.1
    _ledger(env, "db", "upgrade")
    demo = _ledger(env, "demo").stdout
    for who, (email, role) in PEOPLE.items():
        party = ["--party", PARTNER_OF[who]] if who in PARTNER_OF else []
        _ledger(env, "users", "create", "--email", email, "--role", role, *party)
    subprocess.run([sys.executable, "-m", "tests.browser.seed"], cwd=REPO, env=env, check=True, timeout=120)
    log = folder / "gunicorn.log"
    process = start_gunicorn(env, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, process, log)
        yield {"url": base_url, "demo_output": demo, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def playwright():
    """The one Playwright driver of this process: a second `sync_playwright()` while one runs is refused
    ("Sync API inside the asyncio loop"), so every browser (the shared one, a walk's own) launches from this."""
    sync_playwright = _sync_playwright()
    with sync_playwright() as driver:
        yield driver


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="session")
def chromium(server, playwright):
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(chromium, server):
    """A fresh browser context (no cookies) at 1280 px wide."""
    context = chromium.new_context(base_url=server["url"], viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, who: str = "officer", password: str = PASSWORD, path: str = "/login") -> None:
    page.goto(path)
    page.get_by_label("Email address").fill(PEOPLE[who][0])
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # the answer (a redirect or the form again) has loaded before we go on
        page.get_by_role("button", name="Sign in").click()
