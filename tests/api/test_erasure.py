"""Erasure reaches every record about a person: returnees, EU return orders, and the invoice documents kept
as received. What stays is the money: obligations, claims, journal entries, and the documents' figures."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ledger.agreements.models import Returnee
from ledger.invoices.models import Invoice
from ledger.pseudonyms import redact
from ledger.recognition.models import CostClaim, ReturnOrder
from tests.api.invoices_helpers import march_lines, post_xml, setup_agreement, ubl
from tests.api.recognition_flow import accepted_claim, ensure_parties, order

PSEUDONYM = "0123456789abcdef" * 4


def test_redact_replaces_only_erased_pseudonyms_standing_alone():
    other = "f" * 64
    document = f"<a>{PSEUDONYM}</a><b>{other}</b><c>{PSEUDONYM.upper()}</c><d>9{PSEUDONYM}</d>".encode()
    assert redact(document, {PSEUDONYM}) == f"<a>erased</a><b>{other}</b><c>erased</c><d>9{PSEUDONYM}</d>".encode()
    assert redact(document, set()) == document
    assert redact(f'{{"pseudonym": "{PSEUDONYM}"}}', {PSEUDONYM}) == '{"pseudonym": "erased"}'


def test_a_returnees_erasure_redacts_the_ubl_invoice_that_named_it(api, admin, officer, parties, session, runner):
    ag = setup_agreement(api, admin, officer, parties["RW"], count=2)
    gone, kept = ag["returnees"]
    response = post_xml(api, ubl("RW-UBL-1", ag["reference"], march_lines(ag)), parties["RW"])
    assert response.status_code == 201, response.get_json()
    invoice_id = response.get_json()["id"]
    stored, total = session.get(Invoice, invoice_id).document, session.get(Invoice, invoice_id).total
    assert gone["pseudonym"].encode() in stored and kept["pseudonym"].encode() in stored
    session.execute(Returnee.__table__.update().where(Returnee.id == gone["id"]).values(retain_until=date(2026, 3, 2)))
    session.commit()

    result = runner.invoke(args=["returnees", "erase", "--before", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert ("1 returnees and 0 return orders erased, 1 stored invoice documents and 0 stored answers redacted"
            in result.output)
    session.expire_all()
    after = session.get(Invoice, invoice_id)
    assert gone["pseudonym"].encode() not in after.document and kept["pseudonym"].encode() in after.document
    assert after.total == total and f">{after.total:.2f}</cbc:PayableAmount>".encode() in after.document
    served = api.client.get(f"/api/v1/invoices/{invoice_id}/document", headers={"Authorization": f"Bearer {officer}"})
    assert served.status_code == 200 and gone["pseudonym"].encode() not in served.data


def test_return_orders_past_retention_lose_every_link_to_the_person(api, admin, session, runner):
    tokens = ensure_parties(api, admin, {}, "FR", "DE")
    old = order(api, tokens["FR"], decision_date="2015-06-01", sis_alert_ref="SIS-FR-1",
                european_return_order_ref="ERO-1")
    recent = order(api, tokens["FR"], decision_date="2024-01-15")
    assert old["retain_until"] == "2025-06-01" and old["erased"] is False
    claim_id = accepted_claim(api, tokens, "FR", "DE", "100.00")["id"]

    result = runner.invoke(args=["returnees", "erase", "--before", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert "0 returnees and 1 return orders erased" in result.output
    session.expire_all()
    erased = session.get(ReturnOrder, old["id"])
    assert (erased.pseudonym, erased.sis_alert_ref, erased.european_return_order_ref) == (None, None, None)
    assert erased.decision_ref == f"erased:{old['id']}" and erased.erased_at is not None
    assert session.get(ReturnOrder, recent["id"]).pseudonym == recent["pseudonym"]
    assert session.get(CostClaim, claim_id).payable is not None  # claims and their money stay
    view = api.get(f"/api/v1/return-orders/{old['id']}", token=tokens["FR"]).get_json()
    assert view["erased"] is True and view["pseudonym"] is None
    again = runner.invoke(args=["returnees", "erase", "--before", "2026-01-01"])
    assert "0 returnees and 0 return orders erased" in again.output
    assert session.execute(select(ReturnOrder.id).where(ReturnOrder.erased_at.is_not(None))).scalars().all() == [
        old["id"]]


def test_a_stored_answer_to_replay_loses_the_erased_pseudonym(api, admin, parties, session, runner):
    from ledger.idempotency import IdempotencyKey
    from tests.api.agreements_helpers import A, create_agreement

    aid = create_agreement(api, admin)["id"]
    body = {"case_ref": "ERASE-ME-1", "transferred_on": "2026-03-02", "nationality": "ERI"}
    made = api.post(f"{A}/{aid}/returnees", json=body, token=parties["RW"], headers={"Idempotency-Key": "r-1"})
    assert made.status_code == 201, made.get_json()
    name = made.get_json()["pseudonym"]
    assert name in session.execute(select(IdempotencyKey.response_body)).scalars().one()
    session.execute(Returnee.__table__.update().where(Returnee.id == made.get_json()["id"])
                    .values(retain_until=date(2026, 3, 2)))
    session.commit()

    result = runner.invoke(args=["returnees", "erase", "--before", "2026-11-01"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert name not in session.execute(select(IdempotencyKey.response_body)).scalars().one()
    replay = api.post(f"{A}/{aid}/returnees", json=body, token=parties["RW"], headers={"Idempotency-Key": "r-1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json()["pseudonym"] == "erased"
