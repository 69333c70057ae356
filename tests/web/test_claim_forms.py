"""Finance officers decide EU cost claims and record their payment from the claim's page, through the same
service calls as the API (If-Match from the page, refusals shown on the page with nothing written)."""

from __future__ import annotations

import re

from sqlalchemy import select

from ledger.recognition.models import CostClaim
from tests.web.conftest import html


def claim_in(session, status: str) -> CostClaim:
    return session.execute(select(CostClaim).where(CostClaim.status == status).order_by(CostClaim.id)) \
        .scalars().first()


def etag_on(page: str) -> str:
    return re.search(r'name="version" value="([^"]+)"', page).group(1).replace("&#34;", '"')


def test_deciding_a_claim_from_its_page(demo, officer_browser, session):
    claim = claim_in(session, "submitted")
    here = f"/claims/{claim.id}"
    page = html(officer_browser.get(here))
    assert f"Decide for {claim.issuing_state}" in page
    officer_browser.post(f"{here}/decision", {"accepted": "no", "decided_on": claim.submitted_on.isoformat(),
                                              "reason": "", "version": etag_on(page)}, token_from=here)
    assert "Nothing was changed." in html(officer_browser.get(here))
    officer_browser.post(f"{here}/decision", {"accepted": "yes", "decided_on": claim.submitted_on.isoformat(),
                                              "version": etag_on(page)}, token_from=here)
    assert f"Cost claim {claim.id} accepted on {claim.submitted_on.isoformat()}" in html(officer_browser.get(here))
    session.expire_all()
    assert session.get(CostClaim, claim.id).acceptance_entry_id is not None


def test_recording_a_payment_from_the_claims_page(demo, officer_browser, session):
    claim = claim_in(session, "accepted")
    here = f"/claims/{claim.id}"
    page = html(officer_browser.get(here))
    officer_browser.post(f"{here}/payment", {"paid_on": "soon", "version": etag_on(page)}, token_from=here)
    assert "give a date as YYYY-MM-DD" in html(officer_browser.get(here))
    officer_browser.post(f"{here}/payment", {"paid_on": claim.decided_on.isoformat(), "version": etag_on(page)},
                         token_from=here)
    assert f"Cost claim {claim.id} paid on {claim.decided_on.isoformat()}" in html(officer_browser.get(here))
    session.expire_all()
    paid = session.get(CostClaim, claim.id)
    assert paid.status == "paid" and paid.payment_entry_id is not None
    assert "Record the payment" not in html(officer_browser.get(here))


def test_auditors_see_no_claim_forms_and_cannot_post(demo, auditor_browser, session):
    claim = claim_in(session, "submitted")
    here = f"/claims/{claim.id}"
    assert "Decide for" not in html(auditor_browser.get(here))
    refused = auditor_browser.post(f"{here}/decision", {"accepted": "yes", "decided_on": "2026-01-01"},
                                   token_from=here)
    assert refused.status_code == 403
