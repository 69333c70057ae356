"""The demo seeder gives agreements with returnees, departures and accrued obligations the journal agrees with."""

from decimal import Decimal

from sqlalchemy import func, select

from ledger.agreements.models import Agreement, Obligation, Returnee
from ledger.journal.models import Account
from ledger.journal.service import balances


def test_demo_agreements(runner, session):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    agreements = session.execute(select(Agreement)).scalars().all()
    assert {a.reference for a in agreements} == {"GB-RW-DEMO-01", "IT-AL-DEMO-01"}
    assert session.execute(select(func.count()).select_from(Returnee).where(Returnee.departed_on.is_not(None))
                           ).scalar() > 0
    for agreement in agreements:
        owed = session.execute(select(func.sum(Obligation.amount)).where(Obligation.agreement_id == agreement.id)
                               ).scalar()
        assert owed and Decimal(owed) > 0
        found = {a.purpose: b for a, b in balances(session, account_filter=Account.agreement_id == agreement.id)}
        assert found["obligations"] == -Decimal(owed)
    again = runner.invoke(args=["accrue", f"{agreements[0].effective_from:%Y-%m}"])
    assert again.exit_code == 0 and "0 obligations posted" in again.output.splitlines()[-1]
