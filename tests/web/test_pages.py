"""The pages: roles, navigation, HTML errors (while the API keeps problem+json), the dashboard."""

from datetime import date

from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money
from ledger.timeutil import period_of, today


def post_accrual(session, amount="1234.50", currency="GBP", day=date(2026, 3, 4), source_id="1") -> int:
    money = Money.of(amount, currency)
    draft = EntryDraft(day, (debit(AccountKey("returns_costs", currency, "GB", "AL", 7), money),
                             credit(AccountKey("obligations", currency, "AL", "GB", 7), money)),
                       "obligation", source_id, "accrual")
    ids = service.post_entries(session, [draft])
    session.commit()
    return ids[0]


def test_officer_pages_render_with_navigation(officer_browser):
    for path, heading in (("/", "Dashboard"), ("/parties", "Parties"), ("/accounts", "Accounts"),
                          ("/journal", "Journal")):
        response = officer_browser.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert f"<h1>{heading}</h1>" in html
        assert 'aria-current="page"' in html
    nav = officer_browser.get("/").get_data(as_text=True)
    assert 'href="/journal"' in nav and 'href="/audit"' not in nav, "officers do not see the audit log link"


def test_the_audit_log_is_for_auditors(officer_browser):
    response = officer_browser.get("/audit")
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "Not allowed" in response.get_data(as_text=True)


def test_auditors_read_the_audit_log(auditor_browser):
    html = auditor_browser.get("/audit?action=user.sign_in").get_data(as_text=True)
    assert "user.sign_in" in html and "user.create" not in html


def test_unknown_entry_is_an_html_404(officer_browser):
    response = officer_browser.get("/journal/999999")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "no journal entry 999999" in response.get_data(as_text=True)


def test_unknown_page_is_html_for_browsers_and_json_for_the_api(browser):
    assert browser.get("/no-such-page").mimetype == "text/html"
    assert browser.get("/api/v1/no-such-thing").mimetype == "application/problem+json"


def test_static_assets_are_served_by_the_app(browser):
    for name, mimetype in (("ledger.css", "text/css"), ("ledger.js", "text/javascript")):
        response = browser.get(f"/assets/{name}")
        assert response.status_code == 200 and response.mimetype == mimetype
        response.close()
    page = browser.get("/login").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page, "no CDN, no external resources"


def test_dashboard_shows_balances_by_purpose_and_each_agreements_figures(officer_browser, session, parties):
    post_accrual(session)
    html = officer_browser.get("/").get_data(as_text=True)
    assert "returns costs" in html and "1,234.50&nbsp;GBP" in html and "−1,234.50&nbsp;GBP" in html
    assert "Not available yet" not in html and "Open items in" in html
    assert "agreement 7" in html, "an agreement with postings shows even before its details are known"


def test_the_dashboard_counts_open_items_without_listing_every_unmatched_transfer(officer_browser, session, parties,
                                                                                   monkeypatch):
    """The month's statement lists each unmatched transfer (a million took the dashboard half a minute); the
    dashboard shows their number, which it counts, and the statement's other figures."""
    from ledger.statements import settlement_provider

    def listing(*_args):
        raise AssertionError("the dashboard built the list of unmatched transfers")

    monkeypatch.setattr(settlement_provider, "unreconciled_open_items", listing)
    post_accrual(session, day=today())
    response = officer_browser.get("/")
    html = response.get_data(as_text=True)
    month = period_of(today())
    assert response.status_code == 200 and f"Agreements in {month}" in html and f"Open items in {month}" in html
    assert "Unmatched transfers</a>: <strong>0</strong>" in html and "agreement 7" in html


def test_journal_entry_page_shows_debits_and_credits(officer_browser, session, parties):
    entry = post_accrual(session, "99.5", "EUR")
    html = officer_browser.get(f"/journal/{entry}").get_data(as_text=True)
    assert "99.50&nbsp;EUR" in html and "2026-03-04" in html
    assert html.count('class="num"') >= 4


def test_a_failing_page_answers_500_as_a_page_without_the_cause(database_url, capsys):
    from ledger import create_app
    from ledger.auth import public
    from ledger.web import pages

    app = create_app({"TESTING": False, "LEDGER_DATABASE_URL": database_url})
    boom = pages("web_boom_test")

    @boom.get("/boom-page")
    @public
    def explode():
        raise RuntimeError("secret internal detail: password=hunter2")

    app.register_blueprint(boom)
    response = app.test_client().get("/boom-page", headers={"X-Request-Id": "req-87654321"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "hunter2" not in html and "Traceback" not in html and "req-87654321" in html
    assert "RuntimeError" in capsys.readouterr().err
    app.extensions["ledger.db"].engine.dispose()


def test_wrong_method_on_a_page_is_an_html_405(officer_browser):
    response = officer_browser.get("/logout")
    assert response.status_code == 405 and response.mimetype == "text/html"


def test_production_names_the_cookie_for_this_host_only(tmp_path):
    from ledger.config import _new_signing_key, load

    env = {"LEDGER_ENV": "production", "LEDGER_SECRET_KEY": "s" * 40, "LEDGER_PSEUDONYM_KEY": "p" * 40,
           "LEDGER_SIGNING_KEY": _new_signing_key(), "LEDGER_DATABASE_URL": "postgresql://db/ledger",
           "LEDGER_RATELIMIT_URL": "redis://redis:6379/0", "LEDGER_METRICS_TOKEN": "m" * 40}
    config = load(str(tmp_path), environ=env)
    assert config["SESSION_COOKIE_NAME"] == "__Host-ledger" and config["SESSION_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_audit_log_names_the_person_behind_a_user_id(auditor_browser):
    html = auditor_browser.get("/audit?action=user.sign_in").get_data(as_text=True)
    assert "auditor@test.example (user:" in html
