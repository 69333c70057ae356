"""Pages through Flask's test client: a small helper that signs in as a person and posts forms with the token."""

from __future__ import annotations

import re

import pytest

from ledger.web import people

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


class Browser:
    """The test client as a person would use it: read a form, post it with its token."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kw):
        return self.client.get(path, headers={"Accept": "text/html"}, **kw)

    def token(self, path="/login") -> str:
        return csrf_of(self.get(path).get_data(as_text=True))

    def post(self, path, data=None, token_from="/login", **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from))
        return self.client.post(path, data=data, headers={"Accept": "text/html"}, **kw)

    def sign_in(self, email, password=PASSWORD, **extra):
        return self.post("/login", {"email": email, "password": password, **extra})

    def sign_out(self):
        return self.post("/logout", token_from="/")


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """argon2's production cost (~0.4 s a hash here) would dominate these tests; the browser tests keep it."""
    from argon2 import PasswordHasher, profiles

    monkeypatch.setattr(people, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    people._dummy_hash.cache_clear()
    yield
    people._dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def generous_sign_in_rate(base_app, monkeypatch):
    """These tests all sign in from one address within seconds; the per-address limit has its own test."""
    from ledger.web.limits import limiter

    monkeypatch.setitem(base_app.config, "LEDGER_SIGNIN_RATE", "10000 per minute")
    limiter.reset()


@pytest.fixture
def person(app, session):
    """make(email, role) -> a person with the password PASSWORD."""

    def make(email: str, role: str = "finance_officer"):
        with app.test_request_context():
            user = people.create(session, email, role, PASSWORD)
        session.commit()
        return user

    return make


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def officer_browser(browser, person) -> Browser:
    person("officer@test.example", "finance_officer")
    assert browser.sign_in("officer@test.example").status_code == 303
    return browser


@pytest.fixture
def auditor_browser(browser, person) -> Browser:
    person("auditor@test.example", "auditor")
    assert browser.sign_in("auditor@test.example").status_code == 303
    return browser


@pytest.fixture
def demo(runner, session):
    """The demo ledger (every feature's seeder), as `make run` shows it."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    session.expire_all()


def html(response) -> str:
    return response.get_data(as_text=True)
