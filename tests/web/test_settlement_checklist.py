"""Closing a month from its page: the checklist (unreconciled transfers, proposals waiting, disputed invoices,
overdue EU claims, earlier open months) comes before the button, a refusal is said before the confirmation, and
earlier open months close in order in one step (or none does)."""

from __future__ import annotations

import re

from sqlalchemy import select

from ledger.journal.models import Period
from ledger.settlement.checklist import checklist
from ledger.timeutil import period_of, today
from tests.web.conftest import html
from tests.web.test_feature_pages import last_demo_period


def _open_months(session) -> list[str]:
    return list(session.execute(select(Period.period).where(Period.status == "open").order_by(Period.period))
                .scalars())


def _count(page: str, key: str) -> int:
    found = re.search(rf'data-check="{key}">.*?<strong>(\d+)</strong>', page, re.S)
    assert found, key
    return int(found.group(1))


def test_the_checklist_shows_what_is_open_before_the_close_button(demo, officer_browser, session, app):
    first = _open_months(session)[0]
    page = html(officer_browser.get(f"/settlement/{first}"))
    with app.test_request_context():
        expected = checklist(session, first)
    assert page.index("Before closing") < page.index(f">Close {first}</button>")
    for check in expected.checks:
        assert _count(page, check.key) == check.count
    assert "cannot be closed yet" not in page
    assert expected.outstanding > 0  # the demo leaves work open: the checklist is not trivially empty


def test_a_later_month_says_why_it_cannot_close_and_offers_closing_the_earlier_ones_in_order(
        demo, officer_browser, session):
    months = _open_months(session)
    month = last_demo_period()
    earlier = [m for m in months if m < month]
    assert earlier
    page = html(officer_browser.get(f"/settlement/{month}"))
    assert f"{month} cannot be closed yet" in page and "Earlier months are still open" in page
    assert f">Close {month}</button>" not in page  # no button that would only be refused
    assert f"Close {len(earlier) + 1} months in order" in page

    response = officer_browser.post(f"/settlement/{month}/close", {"earlier": "yes"}, token_from=f"/settlement/{month}")
    assert response.status_code == 303
    message = html(officer_browser.get(response.headers["Location"]))
    assert "Closed in order: " + ", ".join([*earlier, month]) in message
    session.expire_all()
    assert all(session.get(Period, m).status == "closed" for m in [*earlier, month])


def test_the_current_month_says_it_has_not_ended(demo, officer_browser):
    month = period_of(today())
    page = html(officer_browser.get(f"/settlement/{month}"))
    assert "has not ended yet" in page and f">Close {month}</button>" not in page
    refused = officer_browser.post(f"/settlement/{month}/close", {"earlier": "yes"}, token_from=f"/settlement/{month}")
    assert refused.status_code == 303 and refused.headers["Location"].endswith("#close")
    assert "Nothing was changed" in html(officer_browser.get(refused.headers["Location"]))


def test_an_auditor_sees_the_checklist_but_no_button(demo, auditor_browser, session):
    first = _open_months(session)[0]
    page = html(auditor_browser.get(f"/settlement/{first}"))
    assert "Before closing" in page and f">Close {first}</button>" not in page


def test_a_second_close_says_who_closed_the_month_and_when(demo, officer_browser, session):
    first = _open_months(session)[0]
    here = f"/settlement/{first}"
    token = officer_browser.token(here)
    send = lambda: officer_browser.client.post(f"{here}/close", data={"csrf_token": token},  # noqa: E731
                                               headers={"Accept": "text/html"})
    assert send().status_code == 303
    again = send()  # the same page, sent twice
    assert again.status_code == 303 and again.headers["Location"].endswith("#close")
    page = html(officer_browser.get(again.headers["Location"]))
    assert f"Nothing was changed. {first} is closed already: closed by officer@test.example (close) at 20" in page
