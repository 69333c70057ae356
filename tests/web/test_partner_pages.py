"""A partner person on the pages: its own agreements' signed statements only, downloads, and a review of each line
(acknowledge, or dispute with a comment); the finance officer sees the disputes on the settlement page, they
carry into the next month's statement until resolved."""

from __future__ import annotations

import io
import zipfile

import pytest

from ledger.web import people
from tests.settlement.test_settlement import GB_AL, GB_RW, books  # noqa: F401 (the fixture)
from tests.web.conftest import PASSWORD, html


@pytest.fixture
def partner_browser(app, session, browser, api, officer, books):  # noqa: F811
    """AL's person, signed in, with March closed and signed."""
    assert api.post("/api/v1/settlements/2026-03/close", token=officer).status_code == 200
    with app.test_request_context():
        people.create(session, "al@test.example", "partner", PASSWORD, "AL")
        people.create(session, "fo@test.example", "finance_officer", PASSWORD)
    session.commit()
    signed_in = browser.sign_in("al@test.example")
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/partner")
    return browser


def _review(browser, agreement, line, decision, comment=""):
    page = f"/partner/2026-03/{agreement}"
    return browser.post(f"{page}/review", {"line": line, "decision": decision, "comment": comment},
                        token_from=f"/partner/2026-03/{GB_AL}")


def test_a_partner_sees_only_its_own_statements(partner_browser):
    listing = html(partner_browser.get("/partner"))
    assert f"/partner/2026-03/{GB_AL}" in listing and f"/partner/2026-03/{GB_RW}" not in listing
    assert partner_browser.get(f"/partner/2026-03/{GB_RW}").status_code == 404
    assert partner_browser.get(f"/partner/2026-03/{GB_RW}/report.pdf").status_code == 404
    assert partner_browser.get("/settlement").status_code == 403  # no staff page
    assert partner_browser.get("/").status_code == 303
    page = html(partner_browser.get(f"/partner/2026-03/{GB_AL}"))
    assert "Accrued" in page and "20,000.00" in page and "Settlement" not in page.split("<main")[0]


def test_a_partner_downloads_its_statement(partner_browser):
    pdf = partner_browser.get(f"/partner/2026-03/{GB_AL}/report.pdf")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF-")
    archive = zipfile.ZipFile(io.BytesIO(partner_browser.get(f"/partner/2026-03/{GB_AL}/report.csv").get_data()))
    assert {"agreements.csv", "statement.json", "statement.json.sig"} <= set(archive.namelist())
    assert f"\n{GB_AL}," in archive.read("agreements.csv").decode() and f"\n{GB_RW}," not in \
        archive.read("agreements.csv").decode()


def test_a_dispute_needs_a_comment_and_a_line_of_the_statement(partner_browser):
    _review(partner_browser, GB_AL, "accrued", "disputed")
    assert "a dispute says what is wrong" in html(partner_browser.get(f"/partner/2026-03/{GB_AL}"))
    _review(partner_browser, GB_AL, "overdue_invoices:999", "acknowledged")
    assert "is not a line of this statement" in html(partner_browser.get(f"/partner/2026-03/{GB_AL}"))
    assert _review(partner_browser, GB_RW, "accrued", "disputed", "not ours").status_code == 404


def test_a_dispute_reaches_the_officer_and_the_next_month_until_resolved(partner_browser, api, officer):
    assert _review(partner_browser, GB_AL, "closing", "acknowledged").status_code == 303
    assert _review(partner_browser, GB_AL, "accrued", "disputed", "=two fees for one person").status_code == 303
    page = html(partner_browser.get(f"/partner/2026-03/{GB_AL}"))
    assert "<strong>disputed</strong>: =two fees for one person" in page and "<strong>acknowledged</strong>" in page

    april = api.get("/api/v1/settlements/2026-04", token=officer).get_json()["statement"]["open_items"]
    [carried] = april["statement_disputes"]
    assert (carried["period"], carried["agreement_id"], carried["line"], carried["comment"]) == \
        ("2026-03", GB_AL, "accrued", "=two fees for one person")
    archive = zipfile.ZipFile(io.BytesIO(api.get("/api/v1/settlements/2026-04/report?format=csv",
                                                 token=officer).get_data()))
    assert "'=two fees for one person" in archive.read("statement_disputes.csv").decode()  # not a formula

    assert partner_browser.post("/logout", token_from="/partner").status_code == 303
    officer_page = partner_browser
    assert officer_page.sign_in("fo@test.example").status_code == 303
    text = html(officer_page.get("/settlement/2026-04"))
    assert "=two fees for one person" in text and "Resolve" in text
    resolved = officer_page.post(f"/settlement/disputes/{carried['review']}/resolve",
                                 {"period": "2026-04", "resolution": "one fee credited in April"},
                                 token_from="/settlement/2026-04")
    assert resolved.status_code == 303
    assert "resolved: one fee credited in April" in html(officer_page.get("/settlement/2026-03"))
    after = api.get("/api/v1/settlements/2026-04", token=officer).get_json()["statement"]["open_items"]
    assert after["statement_disputes"] == []



def test_a_partner_person_is_made_for_one_party(runner, parties, monkeypatch):
    monkeypatch.setenv("LEDGER_USER_PASSWORD", PASSWORD)
    unbound = runner.invoke(args=["users", "create", "--email", "x@test.example", "--role", "partner"])
    assert unbound.exit_code != 0 and "bound to a party" in unbound.output
    staff = runner.invoke(args=["users", "create", "--email", "y@test.example", "--role", "auditor", "--party", "AL"])
    assert staff.exit_code != 0 and "only a partner" in staff.output
    made = runner.invoke(args=["users", "create", "--email", "al@test.example", "--role", "partner", "--party", "AL"])
    assert made.exit_code == 0, made.output
    assert "partner:AL" in runner.invoke(args=["users", "list"]).output
