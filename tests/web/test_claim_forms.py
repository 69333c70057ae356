"""Finance officers decide EU cost claims and record their payment from the claim's page, through the same
service calls as the API (If-Match from the page, refusals shown on the page with nothing written)."""

from __future__ import annotations

import re
from datetime import date

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


def test_a_claim_in_transit_shows_its_order_and_no_payment_form(demo, officer_browser, session):
    """A released payment batch ordered it (arranged here directly: the page only shows it): the bank's debit pays
    it, so the page offers no payment to record, and the claims list finds it by its stage."""
    claim = claim_in(session, "accepted")
    claim.status, claim.ordered_on = "in_transit", claim.decided_on
    session.commit()
    page = html(officer_browser.get(f"/claims/{claim.id}"))
    assert "in transit" in page and f"{claim.decided_on.isoformat()} (a released payment batch" in page
    assert "Record the payment" not in page
    assert f"/claims/{claim.id}" in html(officer_browser.get("/claims?stage=in_transit"))


def test_auditors_see_no_claim_forms_and_cannot_post(demo, auditor_browser, session):
    claim = claim_in(session, "submitted")
    here = f"/claims/{claim.id}"
    assert "Decide for" not in html(auditor_browser.get(here))
    refused = auditor_browser.post(f"{here}/decision", {"accepted": "yes", "decided_on": "2026-01-01"},
                                   token_from=here)
    assert refused.status_code == 403


def test_deciding_a_claim_line_by_line_from_its_page(demo, officer_browser, session):
    from decimal import Decimal

    from ledger.recognition.models import CostClaimLine
    from ledger.timeutil import today

    claim = claim_in(session, "submitted")
    lines = session.execute(select(CostClaimLine).where(CostClaimLine.claim_id == claim.id)
                            .order_by(CostClaimLine.line)).scalars().all()
    here = f"/claims/{claim.id}"
    page = html(officer_browser.get(here))
    # the date inputs are ISO dates, filled with today and bounded by it
    day = today().isoformat()
    assert f'name="decided_on" type="date" value="{day}"' in page and f'max="{day}"' in page
    assert 'name="line-0"' in page
    # a decision dated tomorrow is refused, nothing written
    tomorrow = date.fromordinal(today().toordinal() + 1).isoformat()
    officer_browser.post(f"{here}/decision", {"accepted": "yes", "decided_on": tomorrow, "version": etag_on(page)},
                         token_from=here)
    shown = html(officer_browser.get(here))
    assert "Nothing was changed." in shown and "future" in shown
    # a refused line without its reason is refused too
    officer_browser.post(f"{here}/decision", {"accepted": "yes", "decided_on": day, "line-0": "no",
                                              "version": etag_on(page)}, token_from=here)
    assert "a refused line gives its reason" in html(officer_browser.get(here))
    session.expire_all()
    assert session.get(CostClaim, claim.id).status == "submitted"
    assert len(lines) >= 2  # the demo's undecided claim: a flight and a travel document
    officer_browser.post(f"{here}/decision", {"accepted": "yes", "decided_on": day, "line-0": "no",
                                              "line-reason-0": "no receipt", "version": etag_on(page)},
                         token_from=here)
    session.expire_all()
    decided = session.get(CostClaim, claim.id)
    expected = max(sum((Decimal(ln.allowed) for ln in lines[1:]), Decimal(0)) - Decimal(decided.recovered_from_person),
                   Decimal(0))
    assert decided.status in ("accepted", "paid") and Decimal(decided.payable) == expected
    assert "refused: no receipt" in html(officer_browser.get(here))


def test_a_disputed_claims_page_lists_its_disputes_once_and_keeps_its_title_plain(demo, officer_browser, session):
    from ledger.recognition.models import CostClaimDispute

    claim = claim_in(session, "accepted")
    session.add(CostClaimDispute(claim_id=claim.id, reason="receipt attached", lines="0", opened_on=claim.decided_on,
                                 stage_before="accepted", payable_before=claim.payable))
    session.commit()
    page = html(officer_browser.get(f"/claims/{claim.id}"))
    assert re.search(r"<title>([^<]*)</title>", page).group(1).startswith(f"EU claim {claim.id}")
    assert page.count("<h2>Disputes</h2>") == 1 and "receipt attached" in page
