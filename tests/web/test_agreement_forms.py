"""Officers change agreements and record returnees' events from the pages, through the same service calls as
the API: accrue a month, amend the terms, terminate, record an acceptance or a departure."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from ledger.agreements.models import Agreement, AgreementVersionRow, Obligation, Returnee, ReturneeEvent
from ledger.timeutil import period_of, today
from tests.web.conftest import html


def agreement_id(session, reference="GB-RW-DEMO-01") -> int:
    return session.execute(select(Agreement.id).where(Agreement.reference == reference)).scalar_one()


def etag_on(page: str) -> str:
    return re.search(r'name="version" value="([^"]+)"', page).group(1).replace("&#34;", '"')


def test_accruing_a_month_from_the_page_is_idempotent(demo, officer_browser, session):
    aid = agreement_id(session)
    here = f"/agreements/{aid}"
    response = officer_browser.post(f"{here}/accrue", {"period": period_of(today())}, token_from=here)
    assert response.status_code == 303 and response.headers["Location"].endswith(here)
    first = html(officer_browser.get(here))
    assert f"{period_of(today())} accrued:" in first
    count = session.execute(select(func.count()).select_from(Obligation)).scalar()
    officer_browser.post(f"{here}/accrue", {"period": period_of(today())}, token_from=here)
    assert "nothing new was payable" in html(officer_browser.get(here))
    assert session.execute(select(func.count()).select_from(Obligation)).scalar() == count


def test_a_bad_month_is_refused_on_the_page(demo, officer_browser, session):
    here = f"/agreements/{agreement_id(session)}"
    officer_browser.post(f"{here}/accrue", {"period": "2026-13"}, token_from=here)
    page = html(officer_browser.get(here))
    assert "Nothing was changed." in page and "period must be YYYY-MM" in page


def test_amending_from_the_page_adds_a_version_and_bad_terms_change_nothing(demo, officer_browser, session):
    aid = agreement_id(session)
    here = f"/agreements/{aid}"
    page = html(officer_browser.get(here))
    assert "Amend the terms" in page
    last_month = (today().replace(day=1) - timedelta(days=1)).replace(day=1)  # the demo began 6 months back
    officer_browser.post(f"{here}/amend", {"effective_from": last_month.isoformat(), "terms": "{not json",
                                           "version": etag_on(page)}, token_from=here)
    assert "the terms are not valid JSON" in html(officer_browser.get(here))
    terms = json.loads(session.execute(select(AgreementVersionRow.terms).where(
        AgreementVersionRow.agreement_id == aid)).scalars().first())
    terms["monthly_support"]["amount"] = "2750.00"
    response = officer_browser.post(f"{here}/amend", {"effective_from": last_month.isoformat(),
                                                      "terms": json.dumps(terms),
                                                      "version": etag_on(page)}, token_from=here)
    assert response.status_code == 303
    after = html(officer_browser.get(here))
    assert f"Version 2 in force from {last_month}" in after
    stale = officer_browser.post(f"{here}/amend", {"effective_from": today().replace(day=1).isoformat(),
                                                   "terms": json.dumps(terms),
                                                   "version": etag_on(page)}, token_from=here)
    assert stale.status_code == 303
    assert "the agreement changed since you read it" in html(officer_browser.get(here))
    assert session.execute(select(func.count()).select_from(AgreementVersionRow)
                           .where(AgreementVersionRow.agreement_id == aid)).scalar() == 2


def test_terminating_needs_a_reason(demo, officer_browser, session):
    aid = agreement_id(session)
    here = f"/agreements/{aid}"
    version = etag_on(html(officer_browser.get(here)))
    officer_browser.post(f"{here}/terminate", {"effective_on": "2030-12-31", "reason": "", "version": version},
                         token_from=here)
    assert "say why the agreement ends" in html(officer_browser.get(here))
    officer_browser.post(f"{here}/terminate", {"effective_on": "2030-12-31", "reason": "programme ends",
                                               "version": version}, token_from=here)
    assert "terminated with effect from 2030-12-31" in html(officer_browser.get(here))
    session.expire_all()
    assert session.get(Agreement, aid).termination_reason == "programme ends"


def test_recording_a_departure_from_the_returnee_page(demo, officer_browser, session):
    returnee = session.execute(select(Returnee).where(Returnee.status == "accepted").order_by(Returnee.id)) \
        .scalars().first()
    here = f"/returnees/{returnee.id}"
    assert "Record an event" in html(officer_browser.get(here))
    officer_browser.post(f"{here}/events", {"type": "departed", "occurred_on": "not a date"}, token_from=here)
    assert "give a date as YYYY-MM-DD" in html(officer_browser.get(here))
    day = max(returnee.accepted_on, today().replace(day=1)).isoformat()
    officer_browser.post(f"{here}/events", {"type": "departed", "occurred_on": day}, token_from=here)
    assert f"Recorded: departed on {day}" in html(officer_browser.get(here))
    session.expire_all()
    assert session.get(Returnee, returnee.id).reprice_pending
    assert session.execute(select(ReturneeEvent.type).where(ReturneeEvent.returnee_id == returnee.id)
                           .order_by(ReturneeEvent.id.desc())).scalars().first() == "departed"


def test_auditors_see_no_forms_and_cannot_post(demo, auditor_browser, session):
    aid = agreement_id(session)
    page = html(auditor_browser.get(f"/agreements/{aid}"))
    assert "Accrue a month" not in page and "Amend the terms" not in page
    refused = auditor_browser.post(f"/agreements/{aid}/accrue", {"period": "2026-01"}, token_from=f"/agreements/{aid}")
    assert refused.status_code == 403


def test_the_page_amends_by_merge_patch_and_leaves_the_rest(demo, officer_browser, session):
    aid = agreement_id(session)
    here = f"/agreements/{aid}"
    page = html(officer_browser.get(here))
    assert re.search(r'<textarea id="f-terms" name="terms"[^>]*>\{\}</textarea>', page), "starts as an empty patch"
    before = json.loads(session.execute(select(AgreementVersionRow.terms).where(
        AgreementVersionRow.agreement_id == aid)).scalars().first())
    patch = {"monthly_support": {"amount": "2750.00"}, "payment_terms_days": None}
    last_month = (today().replace(day=1) - timedelta(days=1)).replace(day=1)  # the demo began 6 months back
    response = officer_browser.post(f"{here}/amend", {"effective_from": last_month.isoformat(),
                                                      "terms": json.dumps(patch), "version": etag_on(page)},
                                    token_from=here)
    assert response.status_code == 303
    assert f"Version 2 in force from {last_month}" in html(officer_browser.get(here))
    after = json.loads(session.execute(select(AgreementVersionRow.terms).where(
        AgreementVersionRow.agreement_id == aid, AgreementVersionRow.number == 2)).scalar_one())
    expected = {k: v for k, v in before.items() if k != "payment_terms_days"}
    expected["monthly_support"] = {**before["monthly_support"], "amount": "2750.00"}
    assert after == expected and "payment_terms_days" in before
