"""Accepted EU cost claims in payment batches live as invoices do: proposed whole with their reference, `in_transit`
from the release (the issuing state's payable moved to "payments in transit", the enforcing state's receivable still
open) until the bank's debit matched by its EndToEndId pays them (both sides settled); reversing that match puts the
claim back in transit, the bank's rejection reopens it; nothing proposed, matched, netted or paid twice."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree

from ledger.journal.models import Account
from ledger.journal.rules import AccountKey, EntryDraft, credit
from ledger.journal.rules import debit as dr
from ledger.journal.service import balances, first_open_period, post_entry
from ledger.money import Money
from ledger.payments import camt054, pain001, pain002
from ledger.payments import rules as payment_rules
from ledger.payments.models import PaymentBatch, PaymentItem
from ledger.payments.service import in_transit_key
from ledger.recognition.models import CostClaim
from ledger.recognition.service import claim_reference
from ledger.timeutil import period_of, today
from tests.api.claims_helpers import IBANS, ClaimWorld
from tests.api.recognition_flow import BASE
from tests.api.recon_helpers import import_statement

P = "/api/v1/payment-batches"
NS = {"p": pain001.NAMESPACE}
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


def debit(world, item: dict, day=None) -> int:
    """The bank's camt.054 debiting the claim's transfer from FR's account; the transfer's id."""
    notification = camt054.build(FR, "EUR", [camt054.Debit(item["end_to_end_id"], Decimal(item["amount"]),
                                                           IBANS["DE"], "Republic DE", day or today(), "BANKREF-CC")])
    [transfer_id] = import_statement(world.api, world.officer, notification)
    return transfer_id


def netting(world, period: str) -> dict:
    response = world.api.get(f"{BASE}/settlements/{period}/netting?currency=EUR", token=world.officer)
    assert response.status_code == 200, response.get_json()
    plans = response.get_json()["currencies"]
    return plans[0] if plans else {"claims": [], "in_transit": []}


def statement(world) -> dict:
    response = world.api.get(f"{BASE}/settlements/{period_of(today())}", token=world.officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["statement"]


def test_an_accepted_claim_is_proposed_in_transit_from_release_and_paid_by_the_bank_debit(world, approver):
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
    ordered = world.claim_now(claim["id"])
    assert (ordered["stage"], ordered["status"], ordered["overdue"]) == ("in_transit", "in_transit", None)
    assert (ordered["ordered_on"], ordered["paid_on"], ordered["payment_entry"]) == (today().isoformat(), None, None)
    # The issuing state's payable is with its bank; the enforcing state has received nothing yet.
    assert balance(world, "payments_in_transit", bank_account=FR) == Decimal("-640.00")
    assert balance(world, "claims_payable", party_code="FR", currency="EUR") == 0
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == Decimal("640.00")
    assert world.cash("DE") == 0
    assert propose(world, expect=422)["code"] == "nothing_to_pay"  # never proposed again
    paid = world.api.post(f"{BASE}/cost-claims/{claim['id']}/payment", json={"paid_on": today().isoformat()},
                          token=world.tokens["FR"])
    assert paid.status_code == 409 and paid.get_json()["code"] == "payment_in_transit"
    plan = netting(world, period_of(today()))
    assert claim["id"] in plan["in_transit"] and claim["id"] not in plan["claims"]  # not netted as open
    assert claim["id"] in netting(world, "2024-04")["claims"]  # open at the end of the month it was accepted
    shown = statement(world)
    assert [(c["id"], c["payable"]) for c in shown["eu_claims"]["in_transit"]] == [(claim["id"], "640.00")]
    [line] = [p for p in shown["payments"] if p["bank_account"] == FR]
    assert (line["in_transit"], line["paid"]) == ("640.00", "0.00")

    transfer_id = debit(world, item)
    run = world.run()
    assert run["auto_matched"] >= 1
    [match] = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert match["method"] == "end_to_end_id" and match["status"] == "auto"
    assert balance(world, "payments_in_transit", bank_account=FR) == 0
    assert balance(world, "suspense", bank_account=FR) == 0
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == 0
    assert world.cash("DE") == Decimal("640.00")
    assert world.entry(match["journal_entry"]) == {  # the debit settles both sides, balanced
        f"payments_in_transit:-:-:-:EUR:{FR}": Decimal("640.00"), f"suspense:-:-:-:EUR:{FR}": Decimal("-640.00"),
        "cash:DE:-:-:EUR": Decimal("640.00"), "claims_receivable:DE:FR:-:EUR": Decimal("-640.00")}
    view = world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()
    assert view["items"][0]["status"] == "paid" and view["items"][0]["transfer"] == transfer_id
    now = world.claim_now(claim["id"])
    assert (now["stage"], now["status"], now["paid_on"]) == ("paid", "paid", today().isoformat())
    assert now["payment_entry"] == match["journal_entry"] and now["ordered_on"] == today().isoformat()
    plan = netting(world, period_of(today()))
    assert claim["id"] not in plan["in_transit"] + plan["claims"]
    shown = statement(world)
    assert shown["eu_claims"]["in_transit"] == []
    [line] = [p for p in shown["payments"] if p["bank_account"] == FR]
    assert (line["in_transit"], line["paid"]) == ("0.00", "640.00")


def test_reversing_the_debit_match_puts_the_claim_back_in_transit(world, approver):
    claim = world.claim("75.25")
    batch = release(world, propose(world), approver)
    transfer_id = debit(world, batch["items"][0])
    world.run()
    [match] = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert world.claim_now(claim["id"])["stage"] == "paid"

    reversed_ = world.api.post(f"/api/v1/reconciliation/matches/{match['id']}/reverse",
                               json={"reason": "the bank debited another order"}, token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    back = world.claim_now(claim["id"])
    assert (back["stage"], back["paid_on"], back["payment_entry"]) == ("in_transit", None, None)
    assert back["ordered_on"] == today().isoformat()
    assert balance(world, "payments_in_transit", bank_account=FR) == Decimal("-75.25")
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == Decimal("75.25")
    assert world.cash("DE") == 0
    view = world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()["items"][0]
    assert view["status"] == "ordered" and view["match"] is None

    world.run()  # the debit, still quoting the EndToEndId, matches it again: paid once
    assert sorted(m["status"] for m in world.matches() if m["transfer"] == transfer_id) == ["auto", "reversed"]
    assert world.claim_now(claim["id"])["stage"] == "paid"
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == 0
    assert balance(world, "payments_in_transit", bank_account=FR) == 0
    assert world.cash("DE") == Decimal("75.25")


def test_a_credit_quoting_a_claim_in_transit_is_not_matched_to_it(world, approver):
    """The enforcing state's statement shows a credit quoting the claim's reference while the claim is in transit:
    reconciliation's credit rules do not pay the claim a second time (the debit of the order pays it)."""
    claim = world.claim("120.00")
    release(world, propose(world), approver)
    [credit] = world.statement([("120.00", claim_reference(claim["id"]), FR, today())])
    world.run()
    assert world.claim_matches() == []
    assert world.claim_now(claim["id"])["stage"] == "in_transit"
    assert world.transfer(credit)["allocated"] in ("0.00", "0")


def test_a_rejected_claim_transfer_reopens_the_claim_which_is_proposed_again(world, approver):
    claim = world.claim("310.50")
    batch = release(world, propose(world), approver)
    [item] = batch["items"]
    report = pain002.build("STS-CC", batch["message_id"], [(item["end_to_end_id"], "RJCT", "AC04")])
    response = world.api.post("/api/v1/payment-status", token=world.officer, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(report), "pain002.xml")})
    assert response.status_code == 201 and response.get_json()["rejected"] == [item["end_to_end_id"]]
    reopened = world.claim_now(claim["id"])
    assert (reopened["stage"], reopened["ordered_on"], reopened["paid_on"]) == ("accepted", None, None)
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
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == 0  # received once
    assert world.cash("DE") == Decimal("35.00")


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


def test_full_cycle_claim_to_statement(world, approver, api):
    """accepted claim → batch → approve ×2 → pain.001 XSD-valid → pain.002 → camt.054 → matched by EndToEndId →
    statement: ordered while approved, in transit from the release (through the bank's acceptance), paid by the
    debit."""
    third = api.token("finance_officer", name="third officer")
    claim = world.claim("142500.00")
    batch = propose(world)
    assert batch["approvals_required"] == 2 and batch["total"] == "142500.00"
    [item] = batch["items"]
    own = world.api.post(f"{P}/{batch['id']}/approve", json={"digest": batch["digest"]}, token=world.officer)
    assert own.status_code == 403 and own.get_json()["code"] == "same_officer"
    for token, status in ((approver, "proposed"), (third, "approved")):
        answer = world.api.post(f"{P}/{batch['id']}/approve", json={"digest": batch["digest"]}, token=token)
        assert answer.status_code == 200 and answer.get_json()["status"] == status, answer.get_json()
    [line] = [p for p in statement(world)["payments"] if p["bank_account"] == FR]
    assert (line["ordered"], line["in_transit"], line["paid"]) == ("142500.00", "0.00", "0.00")
    assert world.claim_now(claim["id"])["stage"] == "accepted"  # approving moves nothing

    response = world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    assert response.status_code == 200, response.get_json()
    document = world.api.get(f"{P}/{batch['id']}/pain001", token=world.officer).data
    pain001.validate(document)  # the official ISO 20022 schema
    tree = etree.fromstring(document)
    assert tree.findtext(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", namespaces=NS) == item["end_to_end_id"]
    assert tree.findtext(".//p:CdtTrfTxInf/p:RmtInf/p:Ustrd", namespaces=NS) == claim_reference(claim["id"])
    shown = statement(world)
    [line] = [p for p in shown["payments"] if p["bank_account"] == FR]
    assert (line["ordered"], line["in_transit"], line["paid"]) == ("0.00", "142500.00", "0.00")
    assert [c["id"] for c in shown["eu_claims"]["in_transit"]] == [claim["id"]]

    report = pain002.build("STS-CC-FULL", response.get_json()["message_id"], [(item["end_to_end_id"], "ACSC", None)])
    answer = world.api.post("/api/v1/payment-status", token=world.officer, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(report), "pain002.xml")})
    assert answer.status_code == 201 and answer.get_json()["accepted"] == [item["end_to_end_id"]]
    assert world.claim_now(claim["id"])["stage"] == "in_transit"  # accepted by the bank, not yet debited

    transfer_id = debit(world, item)
    assert world.run()["auto_matched"] >= 1
    [match] = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert (match["method"], Decimal(match["confidence"]), match["status"]) == ("end_to_end_id", 1, "auto")
    assert world.claim_now(claim["id"])["stage"] == "paid"
    shown = statement(world)
    [line] = [p for p in shown["payments"] if p["bank_account"] == FR]
    assert (line["ordered"], line["in_transit"], line["paid"]) == ("0.00", "0.00", "142500.00")
    assert shown["eu_claims"]["in_transit"] == []
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == 0
    assert balance(world, "claims_payable", party_code="FR", currency="EUR") == 0


def released_before_0030(world, approver, amount: str) -> tuple[dict, dict]:
    """A claim whose batch was released before migration 0030, as that code left it: the batch released, its
    transfer ordered, no release entry, and the claim `paid` (with `ordered_on`, as the migration sets it) by one
    entry settling both states' books: Dr claims_payable / Cr payments in transit, Dr cash(DE) / Cr
    claims_receivable."""
    claim = world.claim(amount)
    batch = propose(world)
    answer = world.api.post(f"{P}/{batch['id']}/approve", json={"digest": batch["digest"]}, token=approver)
    assert answer.status_code == 200 and answer.get_json()["status"] == "approved"
    s, day, money = world.session, today(), Money.of(amount, "EUR")
    entry_id = post_entry(s, EntryDraft(
        effective_date=day, period=first_open_period(s, day), source_type="cost_claim_payment",
        source_id=str(claim["id"]), memo="paid at release (before 0030)",
        lines=(dr(AccountKey("claims_payable", "EUR", "FR", "DE"), money), credit(in_transit_key("EUR", FR), money),
               dr(AccountKey("cash", "EUR", "DE"), money), credit(AccountKey("claims_receivable", "EUR", "DE", "FR"),
                                                                  money))))
    row = s.get(CostClaim, claim["id"])
    row.status, row.paid_on, row.ordered_on, row.payment_entry_id = "paid", day, day, entry_id
    stored = s.get(PaymentBatch, batch["id"])
    stored.status, stored.message_id, stored.released_by = "released", payment_rules.message_id(stored.id), "legacy"
    for item in s.query(PaymentItem).filter(PaymentItem.batch_id == stored.id):
        item.status = "ordered"
    s.commit()
    return claim, world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()


def test_a_claim_paid_at_release_before_0030_is_cleared_by_its_debit_once(world, approver):
    claim, batch = released_before_0030(world, approver, "88.00")
    transfer_id = debit(world, batch["items"][0])
    world.run()
    [match] = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert match["method"] == "end_to_end_id"
    assert world.entry(match["journal_entry"]) == {  # the clearing only: DE received the money at release
        f"payments_in_transit:-:-:-:EUR:{FR}": Decimal("88.00"), f"suspense:-:-:-:EUR:{FR}": Decimal("-88.00")}
    assert world.claim_now(claim["id"])["stage"] == "paid"
    assert balance(world, "payments_in_transit", bank_account=FR) == 0
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == 0
    assert world.cash("DE") == Decimal("88.00")
    reversed_ = world.api.post(f"/api/v1/reconciliation/matches/{match['id']}/reverse", json={"reason": "test"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    assert world.claim_now(claim["id"])["stage"] == "paid"  # its payment entry is not the match's
    assert balance(world, "payments_in_transit", bank_account=FR) == Decimal("-88.00")


def test_a_claim_paid_at_release_before_0030_is_reopened_by_a_rejection(world, approver):
    claim, batch = released_before_0030(world, approver, "91.00")
    [item] = batch["items"]
    report = pain002.build("STS-CC-OLD", batch["message_id"], [(item["end_to_end_id"], "RJCT", "AC04")])
    response = world.api.post("/api/v1/payment-status", token=world.officer, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(report), "pain002.xml")})
    assert response.status_code == 201 and response.get_json()["rejected"] == [item["end_to_end_id"]]
    assert world.claim_now(claim["id"])["stage"] == "accepted"
    assert balance(world, "payments_in_transit", bank_account=FR) == 0
    assert balance(world, "claims_receivable", party_code="DE", currency="EUR") == Decimal("91.00")
    assert balance(world, "claims_payable", party_code="FR", currency="EUR") == Decimal("-91.00")
    assert world.cash("DE") == 0
