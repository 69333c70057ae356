"""Accrual re-prices only what changed since its last run (obligations.Scope), and loses nothing doing so."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ledger.agreements import service
from ledger.agreements.models import AccrualState, Obligation, Returnee
from tests.api.agreements_helpers import RWANDA_TERMS, A, accrue, batch, create_agreement, people
from tests.conftest import concurrent_api


def pending(session, agreement_id) -> set[int]:
    session.expire_all()
    return set(session.execute(select(Returnee.id).where(Returnee.agreement_id == agreement_id,
                                                         Returnee.reprice_pending)).scalars())


def state(session, agreement_id) -> AccrualState:
    session.expire_all()
    return session.get(AccrualState, agreement_id)


def test_a_run_remembers_what_it_priced_and_an_event_reopens_one_returnee(api, admin, officer, parties, session):
    aid = create_agreement(api, admin)["id"]
    ids = [i["id"] for i in batch(api, parties["RW"], aid, people("S", 3, "2026-03-02", "2026-03-03"))["items"]]
    assert pending(session, aid) == set(ids)
    assert accrue(api, officer, aid, "2026-03") == 8  # advance, instalment, 3 fees, 3 support months
    assert pending(session, aid) == set() and state(session, aid).priced_through == date(2026, 3, 31)

    response = api.post(f"/api/v1/returnees/{ids[0]}/events", json={"type": "departed", "occurred_on": "2026-03-20"},
                        token=parties["RW"])
    assert response.status_code == 201
    assert pending(session, aid) == {ids[0]}
    assert accrue(api, officer, aid, "2026-04") == 2  # April support for the two who stayed
    assert pending(session, aid) == set() and state(session, aid).priced_through == date(2026, 4, 30)


def test_a_late_departure_reverses_months_an_earlier_run_posted(api, admin, officer, parties, session):
    aid = create_agreement(api, admin)["id"]
    ids = [i["id"] for i in batch(api, parties["RW"], aid, people("L", 2, "2026-03-02", "2026-03-03"))["items"]]
    for period in ("2026-03", "2026-04", "2026-05"):
        accrue(api, officer, aid, period)
    api.post(f"/api/v1/returnees/{ids[0]}/events", json={"type": "departed", "occurred_on": "2026-03-25"},
             token=parties["RW"])
    # the June instalment, and the April and May support of the one who left, reversed (support stops at 3 months)
    assert accrue(api, officer, aid, "2026-06") == 3
    adjustments = session.execute(select(Obligation).where(Obligation.kind == "adjustment")).scalars().all()
    assert sorted((o.adjusts, o.amount) for o in adjustments) == [
        (f"support:r{ids[0]}:2026-04", Decimal("-2500.00")), (f"support:r{ids[0]}:2026-05", Decimal("-2500.00"))]


def test_an_amendment_reprices_every_returnee_and_an_earlier_month_keeps_the_state(api, admin, officer, parties,
                                                                                    session):
    aid = create_agreement(api, admin)["id"]
    batch(api, parties["RW"], aid, people("M", 4, "2026-03-02", "2026-03-03"))
    accrue(api, officer, aid, "2026-03")
    accrue(api, officer, aid, "2026-04")
    before = state(session, aid).pricing_digest
    accrue(api, officer, aid, "2026-03")  # an earlier month again: settles less, so the state stays
    assert state(session, aid).priced_through == date(2026, 4, 30)

    amended = {**RWANDA_TERMS, "monthly_support": {"amount": "2600.00", "max_months": 3}}
    response = api.post(f"{A}/{aid}/amendments", json={"effective_from": "2026-03-01", "terms": amended},
                        token=admin)
    assert response.status_code == 201
    # nobody is pending, yet the new terms re-price everyone's March and April (+100.00 × 8) and price May
    assert accrue(api, officer, aid, "2026-05") == 8 + 4
    assert state(session, aid).pricing_digest != before


def test_an_event_recorded_during_an_accrual_waits_and_is_priced_next_time(committed_app):
    api, admin, _, _ = concurrent_api(committed_app, "GB", "RW")
    aid = create_agreement(api, admin, reference="SCOPE-RACE")["id"]
    ids = [i["id"] for i in batch(api, admin, aid, people("R", 5, "2026-03-02", "2026-03-03"))["items"]]
    accrued, order = threading.Event(), []

    def accrual():
        with committed_app.app_context():
            s = committed_app.extensions["ledger.db"].new_session()
            service.accrue_agreement(s, service.get(s, aid), "2026-04")
            accrued.set()
            time.sleep(0.5)  # the event below must wait for this commit, not slip in before the flags clear
            order.append("accrual")
            s.commit()
            s.close()

    def departure():
        accrued.wait()
        with committed_app.app_context():
            s = committed_app.extensions["ledger.db"].new_session()
            service.add_event(s, s.get(Returnee, ids[0]), "departed", date(2026, 3, 20))
            order.append("event")
            s.commit()
            s.close()

    threads = [threading.Thread(target=accrual), threading.Thread(target=departure)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order == ["accrual", "event"]
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        assert s.get(Returnee, ids[0]).reprice_pending
        assert service.accrue_agreement(s, service.get(s, aid), "2026-04") == 1  # its April month, reversed
        s.commit()
        adjustment = s.execute(select(Obligation).where(Obligation.agreement_id == aid,
                                                        Obligation.kind == "adjustment")).scalar_one()
        assert (adjustment.adjusts, adjustment.amount) == (f"support:r{ids[0]}:2026-04", Decimal("-2500.00"))
        s.close()
