"""Accepted EU cost claims in payment batches: proposed whole with their reference, paid into "payments in transit"
on release (the claim is paid), reopened by the bank's rejection, and cleared by the bank's debit matched by its
EndToEndId; nothing proposed or paid twice."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from ledger.journal.models import Account
from ledger.journal.service import balances
from ledger.payments import camt054, pain002
from ledger.recognition.service import claim_reference
from ledger.timeutil import today
from tests.api.claims_helpers import IBANS, ClaimWorld
from tests.api.recon_helpers import import_statement

P = "/api/v1/payment-batches"
FR = IBANS["FR"]


@pytest.fixture
def world(api, admin, officer, session, parties):
    return ClaimWorld(api, admin, officer, session, parties)


@pytest.fixture
def approver(api):
    return api.token("finance_officer", name="second officer")


def propose(world, expect=201, **body):
    day = today()
    payload = {"debtor_account": FR, "due_by": (day + timedelta(days=30)).isoformat(),
               "execution_date": (day + timedelta(days=1)).isoformat(), **body}
    response = world.api.post(P, json=payload, token=world.officer)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def release(world, batch, approver):
    answer = world.api.post(f"{P}/{batch['id']}/approve", json={"digest": batch["digest"]}, token=approver)
    assert answer.status_code == 200 and answer.get_json()["status"] == "approved", answer.get_json()
    response = world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def balance(world, purpose: str, **match) -> Decimal:
    world.session.expire_all()
    where = Account.purpose == purpose
    for column, value in match.items():
        where = where & (getattr(Account, column) == value)
    return sum((b for _, b in balances(world.session, account_filter=where)), Decimal(0))


def test_an_accepted_claim_is_proposed_paid_in_transit_and_cleared_by_the_bank_debit(world, approver):
    claim = world.claim("640.00")  # FR decided it, DE enforced it: FR pays DE
    batch = propose(world)
    [item] = batch["items"]
    assert item["claim"] == claim["id"] and item["invoice"] is None and item["payee"] == "DE"
    assert item["amount"] == "640.00" and item["currency"] == "EUR"
    assert item["remittance"] == claim_reference(claim["id"]) and not item["remittance_structured"]
    assert item["creditor_account"] == IBANS["DE"]
    assert propose(world, expect=422)["code"] == "nothing_to_pay"  # the open batch holds the claim
    partial = world.api.client.patch(f"{P}/{batch['id']}/items/{item['id']}", json={"amount": "100.00"},
                                     headers={"Authorization": f"Bearer {world.officer}"})
    assert partial.status_code == 422 and partial.get_json()["code"] == "claim_paid_whole"
    assert world.claim_now(claim["id"])["stage"] == "accepted"  # approving moves nothing either

    released = release(world, batch, approver)
    assert released["status"] == "released"
    assert world.claim_now(claim["id"])["stage"] == "paid"
    assert balance(world, "payments_in_transit", bank_account=FR) == Decimal("-640.00")
    assert balance(world, "claims_payable", party_code="FR", currency="EUR") == 0
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == 0

    e2e = item["end_to_end_id"]
    notification = camt054.build(FR, "EUR", [camt054.Debit(e2e, Decimal("640.00"), IBANS["DE"], "Republic DE",
                                                           today(), "BANKREF-CC")])
    [transfer_id] = import_statement(world.api, world.officer, notification)
    run = world.run()
    assert run["auto_matched"] >= 1
    [match] = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert match["method"] == "end_to_end_id" and match["status"] == "auto"
    assert balance(world, "payments_in_transit", bank_account=FR) == 0
    assert balance(world, "suspense", bank_account=FR) == 0
    view = world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()
    assert view["items"][0]["status"] == "paid" and view["items"][0]["transfer"] == transfer_id
    assert world.claim_now(claim["id"])["stage"] == "paid"


def test_a_rejected_claim_transfer_reopens_the_claim_which_is_proposed_again(world, approver):
    claim = world.claim("310.50")
    batch = release(world, propose(world), approver)
    [item] = batch["items"]
    report = pain002.build("STS-CC", batch["message_id"], [(item["end_to_end_id"], "RJCT", "AC04")])
    response = world.api.post("/api/v1/payment-status", token=world.officer, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(report), "pain002.xml")})
    assert response.status_code == 201 and response.get_json()["rejected"] == [item["end_to_end_id"]]
    assert world.claim_now(claim["id"])["stage"] == "accepted"
    assert balance(world, "payments_in_transit", bank_account=FR) == 0
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == Decimal("310.50")
    assert balance(world, "claims_payable", party_code="FR", currency="EUR") == Decimal("-310.50")
    again = propose(world)
    assert [(i["claim"], i["amount"]) for i in again["items"]] == [(claim["id"], "310.50")]
    assert again["items"][0]["end_to_end_id"] != item["end_to_end_id"]


def test_a_claim_paid_meanwhile_is_not_released(world, approver):
    """The claim is paid another way (recorded through the API) after it was proposed: the release is refused,
    nothing posted, and the claim is not paid twice."""
    claim = world.claim("99.00")
    batch = propose(world)
    paid = world.api.post(f"/api/v1/cost-claims/{claim['id']}/payment",
                          json={"paid_on": today().isoformat()}, token=world.tokens["FR"])
    assert paid.status_code == 200, paid.get_json()
    answer = world.api.post(f"{P}/{batch['id']}/approve", json={"digest": batch["digest"]}, token=approver)
    assert answer.status_code == 200
    refused = world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    assert refused.status_code == 409 and refused.get_json()["code"] == "claim_changed"
    assert balance(world, "payments_in_transit", bank_account=FR) == 0


def test_a_second_debit_quoting_the_same_end_to_end_id_clears_nothing(world, approver):
    """The bank debits one transfer twice (on two days): the first debit clears it, the second waits in suspense
    for an officer; payments in transit are cleared once."""
    world.claim("35.00")
    batch = release(world, propose(world), approver)
    e2e = batch["items"][0]["end_to_end_id"]
    debits = [camt054.Debit(e2e, Decimal("35.00"), IBANS["DE"], "Republic DE", today() - timedelta(days=n),
                            f"BANKREF-{n}") for n in (1, 0)]
    first, second = import_statement(world.api, world.officer, camt054.build(FR, "EUR", debits))
    world.run()
    assert [m["transfer"] for m in world.matches() if m["method"] == "end_to_end_id"] == [first]
    assert balance(world, "payments_in_transit", bank_account=FR) == 0
    assert balance(world, "suspense", bank_account=FR) == Decimal("35.00")  # the second debit, unexplained
    assert world.transfer(second)["allocated"] in ("0.00", "0")


def test_the_enforcing_state_of_an_accepted_claim_has_a_partner_card(world, approver):
    """A member state owed an accepted cost claim is a creditor a proposal contains, with no agreement or invoice:
    the dashboard lists it, with what is ordered and in transit to it."""
    from ledger.web.partners import partners

    world.claim("640.00")
    world.session.expire_all()
    assert "DE" in {p.code for p in partners(world.session)}
    release(world, propose(world), approver)
    world.session.expire_all()
    card = next(p for p in partners(world.session) if p.code == "DE")
    assert [(m.amount, m.currency) for m in card.in_transit] == [(Decimal("640.00"), "EUR")]
