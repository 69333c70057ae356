"""Signing in and out: argon2 hashes, lockout, one answer for every failure, CSRF, session rotation."""

from datetime import timedelta

from sqlalchemy import select, text

from ledger.audit.models import AuditRecord
from ledger.timeutil import utcnow
from ledger.web import people
from ledger.web.models import User
from tests.web.conftest import PASSWORD, csrf_of

FAILED = "Sign-in failed."


def _cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("ledger_session="))


def test_login_page_labels_every_input_and_carries_a_token(browser):
    html = browser.get("/login").get_data(as_text=True)
    assert '<label for="f-email">' in html and 'id="f-email"' in html
    assert '<label for="f-password">' in html and 'autocomplete="current-password"' in html
    assert csrf_of(html)


def test_sign_in_opens_the_dashboard_with_a_safe_cookie(browser, person):
    person("officer@test.example")
    response = browser.sign_in("Officer@Test.example ")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = _cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = browser.get("/").get_data(as_text=True)
    assert "officer@test.example" in page and "Sign out" in page


def test_sign_in_replaces_the_session_and_its_token(browser, person):
    person("officer@test.example")
    before = browser.token()
    browser.sign_in("officer@test.example")
    after = browser.token("/")
    assert before != after


def test_passwords_are_stored_as_argon2_hashes(person, session):
    person("officer@test.example")
    stored = session.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_unknown_email_and_wrong_password_get_the_same_answer(browser, person):
    person("officer@test.example")
    unknown = browser.sign_in("nobody@test.example")
    wrong = browser.sign_in("officer@test.example", "not the password")
    assert unknown.status_code == wrong.status_code == 200
    assert FAILED in unknown.get_data(as_text=True) and FAILED in wrong.get_data(as_text=True)
    assert "nobody@test.example" not in _flash(unknown) and "officer@test.example" not in _flash(wrong)


def _flash(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index('class="flash'):html.index("</div>", html.index('class="flash'))]


def test_five_failures_lock_the_account_for_a_while(browser, person, session):
    user = person("officer@test.example")
    for _ in range(people.MAX_FAILURES):
        assert FAILED in browser.sign_in("officer@test.example", "wrong password!").get_data(as_text=True)
    locked = browser.sign_in("officer@test.example")
    assert locked.status_code == 200 and FAILED in locked.get_data(as_text=True)
    session.expire_all()
    stored = session.get(User, user.id)
    assert people.is_locked(stored)
    stored.locked_until = utcnow() - timedelta(seconds=1)  # the lockout has run out
    session.commit()
    assert browser.sign_in("officer@test.example").status_code == 303


def test_failures_are_audited_without_the_address(browser, person, session):
    user = person("officer@test.example")
    browser.sign_in("officer@test.example", "wrong password!")
    browser.sign_in("ghost@test.example", "wrong password!")
    records = session.execute(select(AuditRecord).where(AuditRecord.action == "user.sign_in_failed")).scalars().all()
    assert [r.object_id for r in records] == [str(user.id), ""]
    assert all("@" not in r.summary and "@" not in r.principal for r in records)


def test_a_page_without_a_session_sends_you_to_sign_in_and_back(browser, person):
    response = browser.get("/accounts?currency=GBP")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/accounts?currency%3DGBP"
    person("officer@test.example")
    back = browser.sign_in("officer@test.example", next="/accounts?currency=GBP")
    assert back.headers["Location"] == "/accounts?currency=GBP"


def test_next_never_leaves_the_site(browser, person):
    person("officer@test.example")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example"):
        response = browser.sign_in("officer@test.example", next=target)
        assert response.headers["Location"] == "/", target
        browser.sign_out()


def test_a_post_without_a_session_is_refused(browser):
    response = browser.post("/logout")
    assert response.status_code == 401 and response.mimetype == "text/html"
    assert "Sign in" in response.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused_with_a_page(officer_browser):
    response = officer_browser.client.post("/logout", data={}, headers={"Accept": "text/html"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "csrf_failed" in response.get_data(as_text=True)
    wrong = officer_browser.client.post("/logout", data={"csrf_token": "forged"})
    assert wrong.status_code == 400
    assert officer_browser.get("/").status_code == 200, "still signed in: the refused sign-out did nothing"


def test_the_sign_in_form_needs_its_token_too(browser, person):
    person("officer@test.example")
    browser.get("/login")
    response = browser.client.post("/login", data={"email": "officer@test.example", "password": PASSWORD})
    assert response.status_code == 400


def test_sign_out_ends_the_session_and_every_copy_of_its_cookie(officer_browser):
    copied = officer_browser.client.get_cookie("ledger_session").value
    response = officer_browser.sign_out()
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert officer_browser.get("/").status_code == 303
    officer_browser.client.set_cookie("ledger_session", copied)
    assert officer_browser.get("/").status_code == 303, "a copy of the old cookie must not sign anyone in"


def test_sign_in_and_out_are_audited(officer_browser, session):
    officer_browser.sign_out()
    actions = session.execute(select(AuditRecord.action, AuditRecord.principal).order_by(AuditRecord.seq)).all()
    assert [a for a, _ in actions][-2:] == ["user.sign_in", "user.sign_out"]
    assert all(p.startswith("user:") for _, p in actions[-2:])


def test_the_api_ignores_the_session_cookie(officer_browser):
    response = officer_browser.client.get("/api/v1/parties")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_pages_ignore_bearer_tokens(browser, admin):
    response = browser.client.get("/accounts", headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code == 303


def test_one_address_is_slowed_down_across_accounts(browser, app, monkeypatch):
    from ledger.web.limits import limiter

    monkeypatch.setitem(app.config, "LEDGER_SIGNIN_RATE", "3 per minute")
    limiter.reset()
    for n in range(3):
        assert browser.sign_in(f"someone{n}@test.example").status_code == 200
    refused = browser.sign_in("someone3@test.example")
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "Too many requests" in refused.get_data(as_text=True)
    assert browser.get("/login").status_code == 200, "reading the form is not limited"
    limiter.reset()


def test_a_sign_in_whose_commit_fails_signs_nobody_in(browser, person, monkeypatch):
    """Its audit record and the reset failure count are rolled back with the failed commit: the cookie that would
    open the session must not go out with the error page either."""
    from sqlalchemy.exc import IntegrityError

    from ledger import db

    person("officer@test.example")

    def failing():
        raise IntegrityError("COMMIT", {}, Exception("a conflicting write"))

    with monkeypatch.context() as patched:
        patched.setattr(db, "commit", failing)
        response = browser.sign_in("officer@test.example")
    assert response.status_code == 409
    assert browser.get("/").status_code == 303, "not signed in: the dashboard sends to the sign-in page"
    assert browser.sign_in("officer@test.example").status_code == 303  # and the next try goes through
