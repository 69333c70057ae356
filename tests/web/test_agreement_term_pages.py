"""Agreements without raw JSON: create one and amend it through a field per term, see what an amendment re-prices
before making it, errors next to their field with the typed values kept, dates pre-filled with today, a stale form
told who changed the agreement and when."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ledger.agreements.models import Agreement, AgreementVersionRow
from ledger.timeutil import period_of, today
from tests.web.conftest import html
from tests.web.test_agreement_forms import agreement_id


def _token(browser, path):
    return browser.token(path)


def _versions(session, aid):
    return session.execute(select(func.count()).select_from(AgreementVersionRow)
                           .where(AgreementVersionRow.agreement_id == aid)).scalar()


def _terms(session, aid):
    text = session.execute(select(AgreementVersionRow.terms).where(AgreementVersionRow.agreement_id == aid)
                           .order_by(AgreementVersionRow.number.desc()).limit(1)).scalar()
    return json.loads(text)


def test_create_an_agreement_with_a_field_per_term(demo, officer_browser, session):
    page = html(officer_browser.get("/agreements/new"))
    assert f'name="effective_from" type="date" value="{today().isoformat()}"' in page
    assert f'max="{today().isoformat()}"' in page  # signed on: a fact, not after today
    form = {"reference": "GB-AL-FORM-01", "kind": "return_hub", "payer": "GB", "payee": "AL", "currency": "GBP",
            "signed_on": today().isoformat(), "effective_from": today().replace(day=1).isoformat(),
            "terms.per_returnee_fee": "1500.00", "terms.monthly_support.amount": "900.00",
            "terms.monthly_support.max_months": "24", "terms.instalments.0.due_on": today().replace(day=1).isoformat(),
            "terms.instalments.0.amount": "10000.00", "terms.instalments.0.label": "on signature",
            "terms.milestones.0.returnees": "100", "terms.milestones.0.amount": "25000.00",
            "terms.advance.amount": "5000.00", "terms.capacity": "200", "terms.tolerance.absolute": "50.00",
            "terms.tolerance.percent": "0.5"}
    response = officer_browser.post("/agreements/new", form, token_from="/agreements/new")
    assert response.status_code == 303, html(response)
    created = session.execute(select(Agreement).where(Agreement.reference == "GB-AL-FORM-01")).scalar_one()
    assert _terms(session, created.id) == {
        "per_returnee_fee": "1500.00", "monthly_support": {"amount": "900.00", "max_months": 24},
        "instalments": [{"due_on": today().replace(day=1).isoformat(), "amount": "10000.00", "label": "on signature"}],
        "milestones": [{"returnees": 100, "amount": "25000.00"}], "advance": {"amount": "5000.00"}, "capacity": 200,
        "tolerance": {"absolute": "50.00", "percent": "0.5"}}


def test_a_bad_term_is_shown_next_to_its_field_and_the_form_keeps_what_was_typed(demo, officer_browser, session):
    form = {"reference": "GB-AL-FORM-02", "kind": "return_hub", "payer": "GB", "payee": "AL", "currency": "GBP",
            "effective_from": today().isoformat(), "terms.per_returnee_fee": "1500.5",
            "terms.milestones.1.returnees": "ten", "terms.milestones.1.amount": "100.00"}
    response = officer_browser.post("/agreements/new", form, token_from="/agreements/new")
    assert response.status_code == 422
    page = html(response)
    assert re.search(r'id="f-terms.milestones.1.returnees-error">[^<]*a whole number', page)
    assert 'value="ten"' in page and 'value="GB-AL-FORM-02"' in page and 'value="1500.5"' in page
    assert session.execute(select(Agreement).where(Agreement.reference == "GB-AL-FORM-02")).first() is None
    form["terms.milestones.1.returnees"] = "10"
    page = html(officer_browser.post("/agreements/new", form, token_from="/agreements/new"))
    assert re.search(r'id="f-terms.per_returnee_fee-error"><strong>Error:</strong> amount must have exactly 2', page)


def test_amend_previews_what_it_reprices_then_adds_the_version(demo, officer_browser, session):
    aid = agreement_id(session)
    here = f"/agreements/{aid}/terms"
    page = html(officer_browser.get(here))
    before = _terms(session, aid)
    assert f'value="{before["monthly_support"]["amount"]}"' in page
    assert f'name="effective_from" type="date" value="{today().isoformat()}"' in page
    back = (today().replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=62)
    form = {"effective_from": back.replace(day=1).isoformat(), "version": re.search(
        r'name="version" value="([^"]+)"', page).group(1).replace("&#34;", '"')}
    form.update({k: v for k, v in re.findall(r'name="(terms\.[^"]+)" [^>]*value="([^"]*)"', page)})
    form["terms.monthly_support.amount"] = "9999.00"
    versions = _versions(session, aid)

    preview = officer_browser.post(here, {**form, "preview": "1"}, token_from=here)
    assert preview.status_code == 200
    shown = html(preview)
    assert "What this amendment re-prices" in shown and "Re-priced obligations" in shown
    month = period_of(back)
    row = re.search(rf'<td class="nowrap">{month}</td><td>monthly support</td><td class="num">(\d+)</td>'
                    r'<td class="num">([\d,.]+)&nbsp;GBP</td>', shown)
    assert row, shown  # each support month re-priced by the difference, 7,499.00 a returnee
    step = Decimal("9999.00") - Decimal(before["monthly_support"]["amount"])
    assert Decimal(row.group(2).replace(",", "")) == int(row.group(1)) * step
    assert "Changes stated: monthly support." in shown
    assert _versions(session, aid) == versions  # a preview writes nothing

    added = officer_browser.post(here, form, token_from=here)
    assert added.status_code == 303
    session.expire_all()
    assert _versions(session, aid) == versions + 1
    assert _terms(session, aid) == {**before, "monthly_support": {**before["monthly_support"], "amount": "9999.00"}}

    stale = officer_browser.post(here, form, token_from=here)  # the same form again: the agreement moved on
    assert stale.status_code == 412
    assert "changed by officer@test.example (amend) at 20" in html(stale) and 'value="9999.00"' in html(stale)


def test_the_returnee_and_termination_dates_are_prefilled_with_today_and_not_after_it(demo, officer_browser, session):
    page = html(officer_browser.get(f"/agreements/{agreement_id(session)}"))
    assert f'name="notified_on" type="date" value="{today().isoformat()}"' in page
    assert f'max="{today().isoformat()}"' in page and period_of(today())
