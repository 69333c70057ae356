"""The DOMAIN.md arrangements end to end through the API and the journal, checked to the penny.

Rwanda-like (GB pays RW, GBP): fund instalments on 1 Feb and 1 Jun, a £200,000 advance, £20,000 per accepted
person, £2,500 a month of support for at most 3 months (departures stop it), £1,000,000 when the 300th person
is accepted. 200 accepted on 3 March, 100 on 10 April (the 300th); 5 of the first cohort depart on 20 April.
In May a back-dated amendment raises support to £3,000 from 1 April; in June a late departure is learnt.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ledger.agreements.models import Obligation
from ledger.journal.models import Account
from ledger.journal.service import balances
from tests.api.agreements_helpers import (
    RWANDA_TERMS,
    A,
    accrue,
    batch,
    create_agreement,
    obligations,
    people,
    total,
)


def journal_balances(session, agreement_id) -> dict[str, Decimal]:
    return {account.purpose: balance
            for account, balance in balances(session, account_filter=Account.agreement_id == agreement_id)}


def test_rwanda_like_year(api, admin, officer, parties, session, runner):
    rw, gb = parties["RW"], parties["GB"]
    agreement = create_agreement(api, admin)
    aid = agreement["id"]

    # February: the advance and the first fund instalment
    assert accrue(api, officer, aid, "2026-02") == 2
    feb = obligations(api, gb, aid, "2026-02")
    assert {(o["kind"], o["amount"]) for o in feb} == {("advance", "200000.00"), ("instalment", "5000000.00")}

    # March: 200 accepted on 3 March → fees 4,000,000.00 + first month of support 500,000.00
    first = batch(api, rw, aid, people("RW-A", 200, "2026-03-02", "2026-03-03"))
    assert first["accepted"] == 200
    assert accrue(api, officer, aid, "2026-03") == 400
    mar = obligations(api, gb, aid, "2026-03")
    assert total(mar, "per_returnee_fee") == "4000000.00" and total(mar, "monthly_support") == "500000.00"

    # April: 100 more (the 300th → milestone), 5 depart on 20 April (April support still due)
    second = batch(api, gb, aid, people("RW-B", 100, "2026-04-09"))
    second_ids = [i["id"] for i in second["items"]]
    for rid in second_ids:
        response = api.post(f"/api/v1/returnees/{rid}/events", json={"type": "accepted", "occurred_on": "2026-04-10"},
                            token=rw)
        assert response.status_code == 201
    first_ids = [i["id"] for i in first["items"]]
    for rid in first_ids[:5]:
        api.post(f"/api/v1/returnees/{rid}/events", json={"type": "departed", "occurred_on": "2026-04-20"}, token=rw)
    accrue(api, officer, aid, "2026-04")
    apr = obligations(api, gb, aid, "2026-04")
    assert total(apr, "per_returnee_fee") == "2000000.00"
    assert total(apr, "milestone") == "1000000.00"
    assert total(apr, "monthly_support") == "750000.00"  # 200 × month 2 + 100 × month 1, at 2,500.00
    assert total(apr) == "3750000.00"

    # May: support raised to 3,000.00 from 1 April (back-dated). April's 300 support months are re-priced by
    # adjustments (+500.00 each) booked in May; May's own months: 195 + 100 at 3,000.00.
    amended = {**RWANDA_TERMS, "monthly_support": {"amount": "3000.00", "max_months": 3}}
    response = api.post(f"{A}/{aid}/amendments", json={"effective_from": "2026-04-01", "terms": amended},
                        token=admin)
    assert response.status_code == 201
    accrue(api, officer, aid, "2026-05")
    may = obligations(api, gb, aid, "2026-05")
    assert total(may, "adjustment") == "150000.00"
    assert len([o for o in may if o["kind"] == "adjustment"]) == 300
    assert all(o["due_on"] == "2026-05-01" for o in may if o["kind"] == "adjustment")
    assert total(may, "monthly_support") == "885000.00"
    assert total(may) == "1035000.00"
    # accruing again posts nothing (by the rules and by the constraint)
    assert accrue(api, officer, aid, "2026-05") == 0
    result = runner.invoke(args=["accrue", "2026-05"])
    assert result.exit_code == 0 and "0 obligations posted for 2026-05" in result.output
    # originals are never edited: April still sums as first posted
    assert total(obligations(api, gb, aid, "2026-04")) == "3750000.00"

    # June: the second instalment; 10 of the second cohort turn out to have left on 30 April, so their May
    # support (-3,000.00 each) is reversed by adjustments, and their June month is not due.
    for rid in second_ids[:10]:
        api.post(f"/api/v1/returnees/{rid}/events", json={"type": "departed", "occurred_on": "2026-04-30"}, token=rw)
    result = runner.invoke(args=["accrue", "2026-06"])
    assert result.exit_code == 0, result.output
    jun = obligations(api, gb, aid, "2026-06")
    assert total(jun, "instalment") == "2500000.00"
    assert total(jun, "monthly_support") == "270000.00"  # 90 × month 3 at 3,000.00; the first cohort is capped
    assert total(jun, "adjustment") == "-30000.00"
    assert total(jun) == "2740000.00"
    # July: everyone's support is used up; nothing but... nothing
    assert accrue(api, officer, aid, "2026-07") == 0

    everything = obligations(api, admin, aid)
    grand = Decimal(total(everything))
    assert grand == Decimal("17225000.00")
    # the journal agrees: obligations owed to RW equal the sum of obligations; costs exclude the advance
    found = journal_balances(session, aid)
    assert found["obligations"] == -grand
    assert found["returns_costs"] == grand - Decimal("200000.00")
    assert found["advances"] == Decimal("200000.00")
    stored = session.execute(select(Obligation).where(Obligation.agreement_id == aid)).scalars().all()
    assert len({o.key for o in stored}) == len(stored) and all(o.status == "accrued" for o in stored)

    # a returnee shows what it made payable
    one = api.get(f"/api/v1/returnees/{first_ids[0]}", token=rw).get_json()
    assert [(o["kind"], o["amount"]) for o in one["obligations"]] == [
        ("per_returnee_fee", "20000.00"), ("monthly_support", "2500.00"), ("monthly_support", "2500.00"),
        ("adjustment", "500.00")]


def _accrued(session, agreement_id: int, period: str) -> list[Obligation]:
    """The agreement's obligations of `period` still accrued (not invoiced)."""
    return list(session.execute(select(Obligation).where(
        Obligation.agreement_id == agreement_id, Obligation.period == period, Obligation.status == "accrued")
        .order_by(Obligation.id)).scalars())


def _total(session, agreement_id: int) -> Decimal:
    return sum((o.amount for o in session.execute(
        select(Obligation).where(Obligation.agreement_id == agreement_id)).scalars()), Decimal(0))


def test_advance_offset_and_service_hooks(app, api, admin, officer, parties, session):
    from ledger.agreements import service
    from ledger.money import Money

    agreement = create_agreement(api, admin)
    accrue(api, officer, agreement["id"], "2026-02")
    with app.test_request_context():
        row = service.get(session, agreement["id"])
        assert service.advance_remaining(session, row).is_zero()  # not paid yet: nothing to offset
        assert service.offset_advance(session, row, 1, Money.of("150000.00", "GBP"), row.effective_from,
                                      "2026-03") is None
        (advance,) = [o for o in _accrued(session, row.id, "2026-02") if o.kind == "advance"]
        service.set_status(session, [advance.id], "paid")  # what paying the advance's invoice does
        assert service.advance_remaining(session, row) == Money.of("200000.00", "GBP")
        first = service.offset_advance(session, row, 1, Money.of("150000.00", "GBP"), row.effective_from, "2026-03")
        assert first.amount == Decimal("-150000.00") and first.kind == "advance_offset"
        again = service.offset_advance(session, row, 1, Money.of("150000.00", "GBP"), row.effective_from, "2026-03")
        assert again.id == first.id
        second = service.offset_advance(session, row, 2, Money.of("90000.00", "GBP"), row.effective_from, "2026-03")
        assert second.amount == Decimal("-50000.00")
        assert service.offset_advance(session, row, 3, Money.of("10.00", "GBP"), row.effective_from, "2026-03") is None
        accrued = _accrued(session, row.id, "2026-02")
        assert {o.kind for o in accrued} == {"instalment"}
        service.set_status(session, [o.id for o in accrued], "invoiced")
        assert _accrued(session, row.id, "2026-02") == []
        found = journal_balances(session, row.id)
        assert found["advances"] == Decimal(0)
        assert found["obligations"] == -_total(session, row.id)


def test_future_period_and_bad_period_refused(api, admin, officer, parties):
    agreement = create_agreement(api, admin)
    response = api.post(f"{A}/{agreement['id']}/accrue", json={"period": "2999-01"}, token=officer)
    assert response.status_code == 422 and response.get_json()["code"] == "period_in_future"
    response = api.post(f"{A}/{agreement['id']}/accrue", json={"period": "2026-13"}, token=officer)
    assert response.status_code == 422
