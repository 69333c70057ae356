"""A claim paid by reconciliation and by its issuing state at once is paid once (PostgreSQL row locks)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.recognition import service as recognition
from ledger.recognition.models import CostClaim
from ledger.reconciliation import service
from ledger.reconciliation.models import ReconciliationMatch
from ledger.statements.models import Transfer
from tests.api.claims_helpers import IBANS, ClaimWorld
from tests.api.test_reconciliation_concurrency import _race
from tests.conftest import concurrent_api

PAID_ON = date(2024, 4, 20)


@pytest.fixture
def committed_world(committed_app):
    api, admin, officer, tokens = concurrent_api(committed_app, "RW", "DE", "FR")
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        yield committed_app, ClaimWorld(api, admin, officer, s, tokens)
        s.close()


def _paid_by_the_state(claim_id: int):
    """The issuing state's own payment record (the API's path without the principal)."""
    def job(s):
        claim = s.execute(select(CostClaim).where(CostClaim.id == claim_id).with_for_update()).scalar_one()
        recognition.settle_claim(s, claim, date(2024, 4, 19), "api")
    return job


def _paid_once(world, claim_id: int, transfer_id: int, allocated: str) -> None:
    world.session.expire_all()
    claim = world.session.get(CostClaim, claim_id)
    assert claim.status == "paid" and claim.payment_entry_id is not None
    assert world.cash("DE") == Decimal("600.00")  # cash moved once
    assert world.session.get(Transfer, transfer_id).allocated == Decimal(allocated)


def test_confirming_a_claim_match_while_the_state_records_its_payment(committed_world):
    app, world = committed_world
    world.claim("600.00"), world.claim("600.00")
    (transfer,) = world.statement([("600.00", "EU compensation", IBANS["FR"], PAID_ON)])
    world.run()
    (match,) = world.claim_matches("proposed")
    claim_id = match["allocations"][0]["claim"]
    outcome = _race(app, [lambda s: service.confirm(s, match["id"], "officer"), _paid_by_the_state(claim_id)])
    # The confirmation normally takes its locks first; on a loaded host the state's record may win instead.
    # Either way exactly one pays the claim, and the other is told why.
    assert outcome in ({0: "ok", 1: "already_paid"}, {0: "over_allocation", 1: "ok"})
    _paid_once(world, claim_id, transfer, "600.00" if outcome[0] == "ok" else "0")


def test_the_state_recording_its_payment_while_an_officer_confirms(committed_world):
    app, world = committed_world
    world.claim("600.00"), world.claim("600.00")
    (transfer,) = world.statement([("600.00", "EU compensation", IBANS["FR"], PAID_ON)])
    world.run()
    (match,) = world.claim_matches("proposed")
    claim_id = match["allocations"][0]["claim"]
    outcome = _race(app, [_paid_by_the_state(claim_id), lambda s: service.confirm(s, match["id"], "officer")])
    assert outcome in ({0: "ok", 1: "over_allocation"}, {0: "already_paid", 1: "ok"})  # see above
    state_first = outcome[0] == "ok"
    _paid_once(world, claim_id, transfer, "0" if state_first else "600.00")
    world.session.expire_all()
    assert world.session.get(ReconciliationMatch, match["id"]).status == ("proposed" if state_first else "confirmed")


def test_a_run_paying_a_claim_while_the_state_records_its_payment(committed_world):
    app, world = committed_world
    claim = world.claim("600.00")
    (transfer,) = world.statement([("600.00", claim["reference"], IBANS["FR"], PAID_ON)])
    outcome = _race(app, [lambda s: service.run(s, "run"), _paid_by_the_state(claim["id"])])
    # The run locks the open claims before it posts anything, as the state's record does: whichever locks first
    # pays, the other waits and finds it paid (on a loaded host the state may start first). Never a deadlock.
    assert outcome in ({0: "ok", 1: "already_paid"}, {0: "ok", 1: "ok"})
    _paid_once(world, claim["id"], transfer, "600.00" if outcome[1] == "already_paid" else "0")


def test_two_officers_paying_two_claims_with_one_credit_by_hand_pay_one(committed_world):
    app, world = committed_world
    first, second = world.claim("600.00"), world.claim("600.00")
    (transfer,) = world.statement([("600.00", "EU compensation", IBANS["FR"], PAID_ON)])
    outcome = _race(app, [
        lambda s: service.manual(s, transfer, [{"claim": first["id"], "amount": Decimal("600.00")}], "officer-1"),
        lambda s: service.manual(s, transfer, [{"claim": second["id"], "amount": Decimal("600.00")}], "officer-2"),
    ])
    assert outcome == {0: "ok", 1: "over_allocation"}
    _paid_once(world, first["id"], transfer, "600.00")
    assert world.session.get(CostClaim, second["id"]).status == "accepted"
    # The refused officer's match was rolled back with the rest of that request: one match, confirmed.
    assert world.session.execute(select(ReconciliationMatch.status)).scalars().all() == ["confirmed"]
