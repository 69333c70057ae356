"""A form sent after the session ended: refused with nothing changed, told to sign in again, and led back to the
page the form was on (a path of this site only), where the browser fills in what was typed (ledger.js)."""

from __future__ import annotations

from tests.web.conftest import html


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page_after_signing_in(officer_browser):
    page = html(officer_browser.get("/statements?result=warning"))
    assert 'name="_page" value="/statements?result=warning"' in page
    officer_browser.sign_out()
    token = officer_browser.token("/login")  # a fresh, signed-out session
    refused = officer_browser.client.post("/statements/1/void", data={"csrf_token": "from the old session",
                                                                      "_page": "/statements/1", "reason": "typo"},
                                          headers={"Accept": "text/html"})
    assert refused.status_code == 400 and token
    body = html(refused)
    assert "You are not signed in any more" in body and "Nothing was changed" in body
    assert 'href="/login?next=/statements/1">Sign in again' in body


def test_only_a_path_of_this_site_is_led_back_to(browser):
    for elsewhere in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)"):
        body = html(browser.client.post("/statements/1/void", data={"_page": elsewhere, "reason": "x"},
                                        headers={"Accept": "text/html"}))
        assert 'href="/login">Sign in again' in body and "evil" not in body.split("Sign in again")[0][-200:]
