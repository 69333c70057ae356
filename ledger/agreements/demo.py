"""Demo agreements: a Rwanda-like GB→RW hub and an Albania-like IT→AL capacity-capped protocol, with a few
hundred returnees over several months (some departed), accrued month by month through the service.

The Rwanda-like terms reimburse actual costs as the UK–Rwanda arrangement did (up to £150,874 per person, here
with a healthcare cap and a yearly cap), pay £10,000 per voluntary departure and charge 8 % late interest; of
the departures, every fourth is voluntary and every fifth a return onward to the country of origin."""

from __future__ import annotations

import random
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from ledger.agreements import service
from ledger.agreements.models import Agreement, Returnee
from ledger.auth import issue_token
from ledger.journal.service import next_period
from ledger.pseudonyms import PersonalData
from ledger.timeutil import period_of, today

RWANDA_TERMS = {
    "per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 60},
    "milestones": [{"returnees": 300, "amount": "1000000.00"}], "advance": {"amount": "200000.00"},
    "annual_quota": 1000, "payment_terms_days": 30, "tolerance": {"absolute": "50.00", "percent": "0.5"},
    "cost_reimbursement": {"cap_per_person": "150874.00", "caps_per_category": {"healthcare": "20000.00"},
                           "cap_per_year": "40000.00"},
    "voluntary_departure_grant": "10000.00", "late_interest": {"kind": "fixed", "rate_percent": "8.00"},
}
ALBANIA_TERMS = {
    "per_returnee_fee": "1500.00", "monthly_support": {"amount": "900.00", "max_months": 24},
    "capacity": 3000, "payment_terms_days": 60, "notice_months": 6,
    "tolerance": {"absolute": "10.00", "percent": "0.1"},
}


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def seed(session) -> list:
    rng = random.Random(2026)
    start = _months_back(today(), 6)
    rwanda_terms = {**RWANDA_TERMS, "instalments": [
        {"due_on": start.isoformat(), "amount": "5000000.00", "label": "fund contribution"},
        {"due_on": _months_back(today(), 1).isoformat(), "amount": "2500000.00", "label": "fund contribution"}]}
    specs = [
        ("GB-RW-DEMO-01", "GB", "RW", "GBP", rwanda_terms, 360),
        ("IT-AL-DEMO-01", "IT", "AL", "EUR", ALBANIA_TERMS, 180),
    ]
    agreements: list[Agreement] = []
    for reference, payer, payee, currency, terms, people in specs:
        agreement = service.create(session, {
            "reference": reference, "kind": "return_hub", "payer": payer, "payee": payee, "currency": currency,
            "signed_on": start - timedelta(days=20), "effective_from": start,
            "effective_to": start.replace(year=start.year + 5) - timedelta(days=1), "terms": terms})
        items = []
        for n in range(people):
            transferred = start + timedelta(days=rng.randrange(0, (today() - start).days - 5))
            items.append({"case_ref": f"DEMO-{reference}-{n:05d}", "nationality": rng.choice(["IRN", "AFG", "ERI",
                                                                                            "SDN", "SYR", "VNM"]),
                          "transferred_on": transferred, "accepted_on": transferred + timedelta(days=1)})
        service.submit(session, agreement, items, PersonalData.from_config(current_app.config))
        agreements.append(agreement)
    session.flush()
    for agreement in agreements:
        accepted = session.execute(select(Returnee).where(Returnee.agreement_id == agreement.id)).scalars().all()
        for n, returnee in enumerate(rng.sample(list(accepted), len(accepted) // 12)):
            departed = returnee.accepted_on + timedelta(days=rng.randrange(20, 120))
            if departed < today():
                kind = "voluntary_departure" if n % 4 == 1 else "returned_onward" if n % 5 == 2 else "departed"
                service.add_event(session, returnee, kind, departed)
    period, last = period_of(start), period_of(today())
    while period <= last:
        for agreement in agreements:
            service.accrue_agreement(session, agreement, period)
        period = next_period(period)
    return [(name, issue_token(session, "partner", name, party))
            for name, party in (("demo Rwanda", "RW"), ("demo United Kingdom", "GB"), ("demo Italy", "IT"))]
