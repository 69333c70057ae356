"""The demo seeder gives agreements with returnees, departures and accrued obligations the journal agrees with."""

from decimal import Decimal

from sqlalchemy import func, select

from ledger.agreements.models import Agreement, Obligation, Returnee
from ledger.journal.models import Account
from ledger.journal.service import balances


def seed_demo_up_to(app, session, *seeders) -> None:
    """The demo's parties and the named feature seeders only: later seeders (invoices, payments) move money on."""
    from ledger.demo import _seed_parties

    with app.app_context():
        _seed_parties(session)
        for seed in seeders:
            seed(session)
        session.commit()


def test_demo_agreements(app, runner, session):
    from ledger.agreements.demo import seed

    seed_demo_up_to(app, session, seed)
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
