"""The dashboard's card per partner country: its name, what is owed, overdue, paid and unexplained this month,
and a 12-month sparkline per currency as inline SVG."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from ledger.invoices.models import Invoice
from ledger.money import Money
from ledger.parties.models import Party
from ledger.timeutil import today
from ledger.web.partners import last_months, partners, spark_points
from tests.web.conftest import html


def test_the_sparkline_puts_the_largest_value_at_the_top_and_zero_at_the_bottom():
    drawn = spark_points([Decimal(0), Decimal(5), Decimal(10)], 100, 20, 0)
    points = [tuple(map(float, p.split(","))) for p in drawn.split()]
    assert points == [(0.0, 20.0), (50.0, 10.0), (100.0, 0.0)]
    flat = spark_points([Decimal(0)] * 3, 100, 20, 0)
    assert flat == "0.0,20.0 50.0,20.0 100.0,20.0"


def test_the_last_twelve_months_cross_a_year():
    months = last_months("2026-03")
    assert len(months) == 12 and months[0] == "2025-04" and months[-1] == "2026-03"


def test_each_partner_has_a_card_by_name_with_its_figures(demo, officer_browser, session, app):
    page = html(officer_browser.get("/"))
    with app.test_request_context():
        cards = partners(session)
    assert cards
    for card in cards:
        name = session.get(Party, card.code).name
        assert f'<h3 id="partner-{card.code}">{name}</h3>' in page
    overdue = session.execute(
        select(Invoice.payee_code, Invoice.currency, func.sum(Invoice.amount_open))
        .where(Invoice.status == "approved", Invoice.amount_open > 0, Invoice.document_type == "invoice",
               Invoice.due_on < today()).group_by(Invoice.payee_code, Invoice.currency)).all()
    expected = {(code, Money.rounded(amount, currency)) for code, currency, amount in overdue}
    assert {(card.code, money) for card in cards for money in card.overdue} == expected
    assert any(card.sparks for card in cards)
    assert "<svg" in page and "<polyline points=" in page and "Invoiced per month in" in page


def _card(page: str, code: str) -> str:
    start = page.index(f'<h3 id="partner-{code}">')
    return page[start:page.index("</li>", start)]


def test_the_card_shows_what_is_ordered_and_in_transit_to_the_partner(demo, officer_browser, session, app):
    """In transit: the demo's released batch (half of an invoice owed to RW); ordered: a batch approved by two
    other officers and not released yet. Rejected, held or paid transfers count in neither."""
    from datetime import timedelta

    from ledger.payments import service
    from ledger.payments.demo import APPROVERS, PREPARER
    from ledger.payments.models import PaymentBatch, PaymentItem
    from ledger.statements.demo import GB_ACCOUNT
    from tests.web.test_payment_pages import approved_invoice

    [released] = session.execute(select(PaymentBatch).where(PaymentBatch.status == "released")).scalars()
    sent = session.execute(select(PaymentItem).where(PaymentItem.batch_id == released.id)).scalars().all()
    assert {i.payee_code for i in sent} == {"RW"}
    transit = Money.rounded(sum((i.amount for i in sent), Decimal(0)), released.currency)
    card = _card(html(officer_browser.get("/")), "RW")
    shown = app.jinja_env.filters["money"]
    assert f"<dt>In transit</dt><dd>{shown([transit])}</dd>" in card
    assert "<dt>Ordered</dt><dd>nothing</dd>" in card

    invoice = approved_invoice(session, "RW-CARD-1", "777.25")
    day = today()
    batch = service.propose(session, debtor_account=GB_ACCOUNT, due_by=day + timedelta(days=90),
                            execution_date=day + timedelta(days=1), principal=PREPARER,
                            second_above=Decimal("100000.00"), invoice_ids=[invoice])
    for approver in APPROVERS[:batch.approvals_required]:
        service.approve(session, batch.id, batch.digest, approver)
    assert batch.status == "approved"
    session.commit()
    with app.test_request_context():
        [card_data] = [c for c in partners(session) if c.code == "RW"]
    assert card_data.ordered == [Money.of("777.25", "GBP")] and card_data.in_transit == [transit]
    card = _card(html(officer_browser.get("/")), "RW")
    assert f"<dt>Ordered</dt><dd>{shown([Money.of('777.25', 'GBP')])}</dd>" in card

    service.release(session, batch.id, PREPARER)
    session.commit()
    with app.test_request_context():
        [card_data] = [c for c in partners(session) if c.code == "RW"]
    assert card_data.ordered == [] and card_data.in_transit == [transit + Money.of("777.25", "GBP")]
