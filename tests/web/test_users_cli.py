"""`ledger users ...` and the demo's people."""

from sqlalchemy import select

from ledger.web.models import User


def test_create_takes_the_password_from_the_environment(runner, browser, monkeypatch):
    monkeypatch.setenv("LEDGER_USER_PASSWORD", "a long enough password")
    result = runner.invoke(args=["users", "create", "--email", "Clerk@Test.example", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    assert "clerk@test.example (auditor) created" in result.output
    assert browser.sign_in("clerk@test.example", "a long enough password").status_code == 303


def test_create_prompts_twice_without_the_environment(runner, monkeypatch):
    monkeypatch.delenv("LEDGER_USER_PASSWORD", raising=False)
    result = runner.invoke(args=["users", "create", "--email", "a@test.example", "--role", "admin"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output


def test_create_refuses_short_passwords_duplicates_and_partners(runner, monkeypatch):
    monkeypatch.setenv("LEDGER_USER_PASSWORD", "short")
    result = runner.invoke(args=["users", "create", "--email", "a@test.example", "--role", "admin"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    monkeypatch.setenv("LEDGER_USER_PASSWORD", "a long enough password")
    assert runner.invoke(args=["users", "create", "--email", "a@test.example", "--role", "admin"]).exit_code == 0
    again = runner.invoke(args=["users", "create", "--email", "A@test.example", "--role", "admin"])
    assert again.exit_code != 0 and "exists already" in again.output
    partner = runner.invoke(args=["users", "create", "--email", "p@test.example", "--role", "partner"])
    assert partner.exit_code != 0


def test_unlock_lifts_a_lockout(runner, browser, person):
    person("officer@test.example")
    for _ in range(5):
        browser.sign_in("officer@test.example", "wrong password!")
    assert "locked" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "unlock", "officer@test.example"]).exit_code == 0
    assert browser.sign_in("officer@test.example").status_code == 303


def test_set_password_ends_existing_sessions(runner, officer_browser, monkeypatch):
    monkeypatch.setenv("LEDGER_USER_PASSWORD", "another long password")
    assert runner.invoke(args=["users", "set-password", "officer@test.example"]).exit_code == 0
    assert officer_browser.get("/").status_code == 303


def test_demo_seeds_four_people_and_prints_their_passwords(runner, browser, session):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[-1] for line in result.output.splitlines() if "@demo.example" in line}
    assert set(lines) == {"officer@demo.example", "auditor@demo.example", "admin@demo.example", "rwanda@demo.example"}
    roles = dict(session.execute(select(User.email, User.role)).all())
    assert roles["officer@demo.example"] == "finance_officer" and roles["rwanda@demo.example"] == "partner"
    assert browser.sign_in("auditor@demo.example", lines["auditor@demo.example"]).status_code == 303
