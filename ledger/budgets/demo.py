"""Demo budget lines: the Italy–Albania-like protocol's line for Italy's current fiscal year (the calendar year)
and the Rwanda-like hub's for the UK's (April to March), voted with room to spare and set to ask a second officer
before going beyond."""

from __future__ import annotations

from decimal import Decimal

from ledger.agreements import queries as agreements
from ledger.budgets import fiscal, service
from ledger.timeutil import today

#: Voted amounts above everything the demo accrues in one year (a few hundred people, six months).
LINES = {"IT-AL-DEMO-01": Decimal("4000000.00"), "GB-RW-DEMO-01": Decimal("60000000.00")}


def seed(session) -> list:
    for reference, voted in LINES.items():
        agreement = agreements.by_reference(session, reference)
        if agreement is None:
            continue
        year = fiscal.fiscal_year_of(today(), service.start_month(session, agreement.payer_code))
        service.create(session, {"fiscal_year": year, "agreement": agreement.id, "voted": voted,
                                 "currency": agreement.currency, "on_exceed": "approve"})
    return []
