"""The feature pages through the test client, on the demo ledger: the dashboard's figures, the reconciliation
queue and its decisions, invoices with findings, settlement close and downloads, agreements, returnees,
statements and EU claims. Every decision goes through the same service call as the API."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import select

from ledger.invoices.models import Invoice
from ledger.journal.models import Period
from ledger.recognition.models import CostClaim
from ledger.reconciliation.models import ReconciliationAllocation, ReconciliationMatch
from ledger.statements.demo import demo_months
from ledger.statements.models import Statement, Transfer
from ledger.timeutil import period_of
from tests.web.conftest import html

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"


def proposed(session) -> ReconciliationMatch:
    return session.execute(select(ReconciliationMatch).where(ReconciliationMatch.status == "proposed")
                           .order_by(ReconciliationMatch.id)).scalars().first()


def invoice_of(session, match_id: int) -> int:
    return session.execute(select(ReconciliationAllocation.invoice_id)
                           .where(ReconciliationAllocation.match_id == match_id)).scalars().first()


def last_demo_period() -> str:
    """The demo's last month of payments (the demo is dated relative to the clock)."""
    return period_of(demo_months()[-1])


def first_id(session, column) -> int:
    """Ids as the database gave them (PostgreSQL's sequences do not roll back between tests)."""
    return session.execute(select(column).order_by(column)).scalars().first()


def test_every_page_renders_for_an_officer(demo, officer_browser, session):
    from ledger.agreements.models import Agreement, Returnee
    from ledger.recognition.models import CostClaim

    invoice, statement = first_id(session, Invoice.id), first_id(session, Statement.id)
    agreement, returnee, claim = (first_id(session, Agreement.id), first_id(session, Returnee.id),
                                  first_id(session, CostClaim.id))
    month = last_demo_period()
    for path, heading in (("/", "Dashboard"), ("/reconciliation", "Reconciliation"), ("/invoices", "Invoices"),
                          (f"/invoices/{invoice}", "Invoice "), ("/settlement", "Settlement"),
                          (f"/settlement/{month}", f"Settlement {month}"), ("/agreements", "Agreements"),
                          (f"/agreements/{agreement}", "Agreement "), ("/returnees", "Returnees"),
                          (f"/returnees/{returnee}", f"Returnee {returnee}"),
                          ("/statements", "Statements"), (f"/statements/{statement}", "Statement import"),
                          ("/claims", "EU claims"), (f"/claims/{claim}", f"EU claim {claim}"),
                          (f"/reconciliation/matches/{proposed(session).id}", "Match ")):
        response = officer_browser.get(path)
        assert response.status_code == 200, path
        assert f"<h1>{heading}" in html(response), path


def test_the_dashboard_shows_each_agreement_and_this_months_open_items(demo, officer_browser):
    page = html(officer_browser.get("/"))
    assert "placeholder" not in page
    assert "GB-RW-DEMO-01" in page and "IT-AL-DEMO-01" in page
    assert re.search(r'<td class="num"[^>]*>[\d,]+\.\d{2}&nbsp;GBP</td>', page), "amounts carry their currency"
    assert "Proposed matches to confirm or reject</a>: <strong>2</strong>" in page
    assert "Invoices waiting for a decision</a>: <strong>1</strong>" in page


def test_the_queue_shows_proposals_beside_their_evidence(demo, officer_browser, session):
    match = proposed(session)
    page = html(officer_browser.get("/reconciliation"))
    assert f"Confirm match {match.id}" in page and f"Reject match {match.id}" in page
    for evidence in ("Rule", "Confidence", "Booked", "Open now", "Due"):
        assert f"<dt>{evidence}</dt>" in page
    assert "Unmatched transfers" in page and 'href="/reconciliation/transfers/' in page


def test_confirming_a_match_posts_it_and_pays_the_invoice(demo, officer_browser, session):
    match = proposed(session)
    invoice_id = invoice_of(session, match.id)
    response = officer_browser.post(f"/reconciliation/matches/{match.id}/confirm",
                                    {"version": f'"match-{match.id}-{match.version}"', "back": "/reconciliation"},
                                    token_from="/reconciliation")
    assert response.status_code == 303 and response.headers["Location"].endswith("/reconciliation")
    session.expire_all()
    assert session.get(ReconciliationMatch, match.id).status == "confirmed"
    assert session.get(ReconciliationMatch, match.id).journal_entry_id is not None
    flashed = html(officer_browser.get("/reconciliation"))
    assert f"Match {match.id} confirmed and posted" in flashed
    page = html(officer_browser.get(f"/invoices/{invoice_id}"))
    assert re.search(r'<strong class="invoice-status">(paid|partially paid)</strong>', page)
    assert f"Match {match.id}</a> (confirmed" in page


def test_a_stale_confirmation_is_refused_on_the_page_and_changes_nothing(demo, officer_browser, session):
    match = proposed(session)
    response = officer_browser.post(f"/reconciliation/matches/{match.id}/confirm",
                                    {"version": f'"match-{match.id}-99"'}, token_from="/reconciliation")
    assert response.status_code == 303
    page = html(officer_browser.get("/reconciliation"))
    assert f"Nothing was changed. Match {match.id}: the match changed since you read it" in page
    session.expire_all()
    assert session.get(ReconciliationMatch, match.id).status == "proposed"


def test_rejecting_a_match(demo, officer_browser, session):
    match = proposed(session)
    response = officer_browser.post(f"/reconciliation/matches/{match.id}/reject", {"reason": "not this one"},
                                    token_from="/reconciliation")
    assert response.status_code == 303
    session.expire_all()
    row = session.get(ReconciliationMatch, match.id)
    assert (row.status, row.reason) == ("rejected", "not this one")


def test_running_reconciliation_from_the_page(demo, officer_browser):
    response = officer_browser.post("/reconciliation/runs", token_from="/reconciliation")
    assert response.status_code == 303
    assert re.search(r"Reconciliation run \d+: \d+ matched and posted", html(officer_browser.get("/reconciliation")))


def test_auditors_read_the_queue_but_cannot_decide(demo, auditor_browser, session):
    match = proposed(session)
    page = html(auditor_browser.get("/reconciliation"))
    assert f"match-{match.id}" in page and "Confirm match" not in page
    response = auditor_browser.post(f"/reconciliation/matches/{match.id}/confirm", token_from="/reconciliation")
    assert response.status_code == 403


def test_approving_over_findings_needs_a_reason_per_line(demo, officer_browser, session):
    invoice = session.execute(select(Invoice).where(Invoice.status == "disputed")).scalars().first()
    page = html(officer_browser.get(f"/invoices/{invoice.id}"))
    fields = re.findall(r'name="(override-[^"]+)"', page)
    assert fields, "a reason field for each line with findings"
    version = f'"invoice-{invoice.id}-{invoice.version}"'
    refused = officer_browser.post(f"/invoices/{invoice.id}/approve", {"version": version},
                                   token_from=f"/invoices/{invoice.id}")
    assert refused.status_code == 303
    assert "approving over findings needs a reason" in html(officer_browser.get(f"/invoices/{invoice.id}"))
    session.expire_all()
    assert session.get(Invoice, invoice.id).status == "disputed"
    approved = officer_browser.post(f"/invoices/{invoice.id}/approve",
                                    {"version": version, **{f: "checked with the partner" for f in fields}},
                                    token_from=f"/invoices/{invoice.id}")
    assert approved.status_code == 303
    session.expire_all()
    assert session.get(Invoice, invoice.id).status in ("approved", "paid")


def test_disputing_an_invoice(demo, officer_browser, session):
    invoice = session.execute(select(Invoice).where(Invoice.status == "accepted")).scalars().first()
    response = officer_browser.post(f"/invoices/{invoice.id}/dispute",
                                    {"reason": "the March fees are counted twice",
                                     "version": f'"invoice-{invoice.id}-{invoice.version}"'},
                                    token_from=f"/invoices/{invoice.id}")
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Invoice, invoice.id).dispute_reason == "the March fees are counted twice"


def test_invoice_list_filters_and_sorts_on_the_server(demo, officer_browser):
    page = html(officer_browser.get("/invoices?status=paid&sort=payable&dir=desc"))
    amounts = [a.replace(",", "") for a in re.findall(r'<td class="num">([\d,]+\.\d{2})&nbsp;GBP</td>', page)][::2]
    assert amounts and amounts == sorted(amounts, key=float, reverse=True)
    assert "accepted</td>" not in page


def test_settlement_reports_are_the_apis_bytes(demo, officer_browser, api, officer):
    month = last_demo_period()
    page = officer_browser.get(f"/settlement/{month}/report.csv")
    assert page.status_code == 200 and page.mimetype == "application/zip"
    assert f'filename="settlement-{month}.csv.zip"' in page.headers["Content-Disposition"]
    assert page.get_data() == api.get(f"/api/v1/settlements/{month}/report?format=csv", token=officer).get_data()
    pdf = officer_browser.get(f"/settlement/{month}/report.pdf")
    assert pdf.get_data().startswith(b"%PDF-")
    assert officer_browser.get(f"/settlement/{month}/report.exe").status_code == 404


def test_closing_a_period_from_the_page(demo, officer_browser, session):
    first = session.execute(select(Period.period).where(Period.status == "open").order_by(Period.period)).scalar()
    page = html(officer_browser.get(f"/settlement/{first}"))
    assert f"Close {first}" in page
    response = officer_browser.post(f"/settlement/{first}/close", token_from=f"/settlement/{first}")
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Period, first).status == "closed"
    assert "statements frozen and signed" in html(officer_browser.get(f"/settlement/{first}"))


def test_closing_out_of_order_is_refused_on_the_page(demo, officer_browser, session):
    first = session.execute(select(Period.period).where(Period.status == "open").order_by(Period.period)).scalar()
    month = last_demo_period()
    assert first < month  # the demo books several months
    response = officer_browser.post(f"/settlement/{month}/close", token_from=f"/settlement/{month}")
    assert response.status_code == 303
    assert f"Nothing was changed. close {first} first" in html(officer_browser.get(f"/settlement/{month}"))
    assert session.get(Period, month).status == "open"


def test_returnees_appear_by_pseudonym_only(demo, officer_browser, session):
    from ledger.agreements.models import Returnee

    returnee = session.execute(select(Returnee).order_by(Returnee.id.desc())).scalars().first()  # page 1
    page = html(officer_browser.get("/returnees"))
    assert returnee.pseudonym[:12] in page and returnee.pseudonym not in page
    assert returnee.pseudonym in html(officer_browser.get(f"/returnees/{returnee.id}"))


def test_agreement_shows_terms_versions_and_obligations(demo, officer_browser, session):
    from ledger.agreements.models import Agreement

    agreement = session.execute(select(Agreement.id).where(Agreement.reference == "GB-RW-DEMO-01")).scalar_one()
    month = last_demo_period()
    page = html(officer_browser.get(f"/agreements/{agreement}?period={month}"))
    assert "Terms in force" in page and "Version 1, from" in page
    assert "Rows 1–" in page and month in page


def test_importing_a_statement_shows_its_summary(officer_browser, session):
    document = (FIXTURES / "camt.053.001.02.xml").read_bytes()
    token = officer_browser.token("/statements")
    response = officer_browser.client.post("/statements", data={"csrf_token": token, "currency": "",
                                                                 "file": (io.BytesIO(document), "statement.xml")},
                                           headers={"Accept": "text/html"}, content_type="multipart/form-data")
    assert response.status_code == 303
    page = html(officer_browser.get(response.headers["Location"]))
    assert "Statement imported:" in page and "Transfers imported" in page and "Balance check" in page
    again = officer_browser.client.post("/statements", data={"csrf_token": token,
                                                             "file": (io.BytesIO(document), "statement.xml")},
                                        headers={"Accept": "text/html"}, content_type="multipart/form-data")
    assert "0 transfers, " in html(officer_browser.get(again.headers["Location"]))


def test_an_unreadable_statement_is_refused_on_the_page(officer_browser, session):
    token = officer_browser.token("/statements")
    response = officer_browser.client.post("/statements", data={"csrf_token": token,
                                                                "file": (io.BytesIO(b"not a statement"), "x.txt")},
                                           headers={"Accept": "text/html"}, content_type="multipart/form-data")
    assert response.status_code == 303
    assert "Nothing was changed." in html(officer_browser.get("/statements"))
    assert session.execute(select(Statement.id)).first() is None


def test_claims_show_their_deadlines_and_filter_overdue(demo, officer_browser):
    page = html(officer_browser.get("/claims"))
    assert "Decision due" in page and "Payment due" in page
    overdue = html(officer_browser.get("/claims?overdue=yes"))
    assert "overdue" in overdue and "Rows 1–" in overdue


def test_pages_need_a_session_and_posts_a_token(demo, browser, session):
    response = browser.get("/reconciliation")
    assert response.status_code == 303 and "/login?next=/reconciliation" in response.headers["Location"]
    match = proposed(session)
    refused = browser.client.post(f"/reconciliation/matches/{match.id}/confirm", headers={"Accept": "text/html"})
    assert refused.status_code == 400 and "csrf_failed" in html(refused)


def test_the_progress_bars_upload_is_told_where_to_go_next(officer_browser):
    document = (FIXTURES / "camt.053.001.02.xml").read_bytes()
    token = officer_browser.token("/statements")
    response = officer_browser.client.post("/statements", data={"csrf_token": token,
                                                                "file": (io.BytesIO(document), "statement.xml")},
                                           headers={"Accept": "text/html", "X-Requested-With": "XMLHttpRequest"},
                                           content_type="multipart/form-data")
    assert response.status_code == 200 and re.fullmatch(r"/statements/\d+", html(response))
    assert "Statement imported:" in html(officer_browser.get(html(response)))


def test_returnees_list_names_agreements_by_reference_and_filters_by_either(demo, officer_browser):
    page = html(officer_browser.get("/returnees?agreement=GB-RW-DEMO-01"))
    assert "GB-RW-DEMO-01</a>" in page and "IT-AL-DEMO-01" not in page


def _accepted_claim(session) -> CostClaim:
    return session.execute(select(CostClaim).where(CostClaim.status == "accepted").order_by(CostClaim.id)
                           .limit(1)).scalar_one()


def test_find_and_match_refuses_a_cost_claim_for_a_payment_out_beside_the_claim(demo, officer_browser, session):
    claim = _accepted_claim(session)
    payment = session.execute(select(Transfer.id).where(Transfer.direction == "debit", Transfer.allocated == 0)
                              .order_by(Transfer.id).limit(1)).scalar_one()
    path = f"/reconciliation/transfers/{payment}"
    assert f"claim:{claim.id}" not in html(officer_browser.get(path)), "a payment out is offered invoices only"
    picked = {"pick": f"claim:{claim.id}", f"amount-claim:{claim.id}": f"{claim.payable:.2f}", "seen_allocated": "0"}
    response = officer_browser.post(path, picked, token_from=path)
    page = html(response)
    assert response.status_code == 422 and f'id="err-claim-{claim.id}"' in page
    assert "a cost claim is paid by a credit, not a payment out" in page and f"CC-{claim.id}" in page


def test_an_officer_pays_a_cost_claim_with_a_credit_from_the_page(demo, officer_browser, session):
    claim = _accepted_claim(session)
    template = session.execute(select(Transfer).where(Transfer.direction == "credit").limit(1)).scalar_one()
    copy = {c.name: getattr(template, c.name) for c in Transfer.__table__.columns if c.name != "id"}
    credit = Transfer(**{**copy, "fingerprint": "claim-credit", "entry_index": 9998, "allocated": 0,
                         "party_code": claim.enforcing_state, "counterparty_party": claim.issuing_state,
                         "currency": claim.currency, "amount": claim.payable, "booking_date": claim.decided_on,
                         "value_date": claim.decided_on})
    session.add(credit)
    session.commit()
    path = f"/reconciliation/transfers/{credit.id}"
    picked = {"pick": f"claim:{claim.id}", f"amount-claim:{claim.id}": f"{claim.payable:.2f}", "seen_allocated": "0"}
    response = officer_browser.post(path, picked, token_from=path)
    assert response.status_code == 303, html(response)
    assert f"Transfer {credit.id} matched by hand" in html(officer_browser.get(response.headers["Location"]))
    session.expire_all()
    assert session.get(CostClaim, claim.id).status == "paid"
    assert session.get(Transfer, credit.id).allocated == claim.payable


def test_a_second_payment_of_a_paid_invoice_says_so_in_the_unmatched_list(demo, officer_browser, session):
    paid = session.execute(select(Invoice).where(Invoice.status == "paid", Invoice.payment_reference.is_not(None))
                           .order_by(Invoice.id).limit(1)).scalar_one()
    first = session.execute(select(Transfer).where(Transfer.structured_reference == paid.payment_reference)
                            ).scalar_one()
    copy = {c.name: getattr(first, c.name) for c in Transfer.__table__.columns if c.name != "id"}
    session.add(Transfer(**{**copy, "fingerprint": "second-payment", "entry_index": 9999, "allocated": 0}))
    session.commit()
    page = html(officer_browser.get("/reconciliation?t_party=RW&t_per_page=100"))
    assert f"a second payment of {paid.number} (paid)" in page
    assert f'href="/invoices/{paid.id}"' in page
