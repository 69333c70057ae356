"""EU mutual recognition from a script: the services take a session and who acts (a `Principal`) and read
nothing of Flask, so an order goes from its recording to the payment of its cost claim without an app context,
each side acting for itself as through the API, and the claim and the netting serialise as the API sends them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import has_app_context

from contracts.recognition import CostClaimSchema, NettingSchema
from ledger.audit import service as audit
from ledger.auth import Principal
from ledger.errors import Forbidden, NotFound
from ledger.parties import service as parties
from ledger.pseudonyms import PersonalData
from ledger.recognition import service as recognition
from ledger.timeutil import period_of, today

PERSONAL = PersonalData("script-pseudonym-key-" + "z" * 20, retention_years=10)
OFFICER = Principal("script:officer", "script officer", "finance_officer")
FRANCE = Principal("script:fr", "France", "partner", "FR")
GERMANY = Principal("script:de", "Germany", "partner", "DE")
ITALY = Principal("script:it", "Italy", "partner", "IT")


def test_a_script_takes_an_eu_claim_from_the_order_to_its_payment_without_an_app(script_session):
    s = script_session
    assert not has_app_context()
    for code in ("FR", "DE", "IT"):
        parties.create(s, {"code": code, "name": code, "contact_point": "interior@example", "bank_accounts": []})
    day = today() - timedelta(days=90)
    order = recognition.create_order(s, FRANCE, {
        "issuing_state": "FR", "decision_ref": "OQTF-SCRIPT-1", "decision_date": day, "ground": "public_order",
        "case_ref": "SCRIPT-CASE-1", "sis_alert_ref": None, "european_return_order_ref": None, "legal_basis": None,
    }, PERSONAL)
    rec = recognition.request_recognition(s, FRANCE, order.id, {"enforcing_state": "DE",
                                                               "requested_on": day + timedelta(days=1)})
    recognised = {"recognised": True, "decided_on": day + timedelta(days=5), "reason": None}
    with pytest.raises(Forbidden):  # France asked; Germany decides
        recognition.decide_recognition(s, FRANCE, rec.id, recognised, None)
    with pytest.raises(NotFound):  # Italy is neither side: the recognition does not exist for it
        recognition.get_recognition(s, ITALY, rec.id)
    recognition.decide_recognition(s, GERMANY, rec.id, recognised, None)
    enforced = day + timedelta(days=10)
    recognition.record_enforcement(s, GERMANY, rec.id, {"enforced_on": enforced, "notified_on": enforced}, None)
    claim = recognition.create_claim(s, GERMANY, {
        "recognition": rec.id, "submitted_on": day + timedelta(days=15), "currency": "EUR",
        "recovered_from_person": Decimal("0.00"),
        "lines": [{"category": "travel_document_fee", "amount": Decimal("35.00"), "evidence_ref": "LP-1"}]})
    accepted_on = day + timedelta(days=20)
    recognition.decide_claim(s, FRANCE, claim.id, {"accepted": True, "decided_on": accepted_on, "reason": None}, None)

    netting = NettingSchema().dump(recognition.netting(s, GERMANY, period_of(accepted_on), None))
    assert netting["currencies"] == [{"currency": "EUR", "claims": [claim.id], "in_transit": [],
                                      "positions": [{"state": "DE", "position": "35.00"}],
                                      "transfers": [{"payer": "FR", "payee": "DE", "amount": "35.00"}],
                                      "optimal": True}]

    paid = recognition.record_payment(s, OFFICER, claim.id, day + timedelta(days=25))
    assert paid.status == "paid" and paid.acceptance_entry_id and paid.payment_entry_id
    shown = CostClaimSchema().dump(recognition.claim_shown(s, recognition.get_claim(s, GERMANY, claim.id)))
    assert (shown["reference"], shown["stage"], shown["status"], shown["payable"]) == (f"CC-{claim.id}", "paid",
                                                                                       "paid", "35.00")
    assert [(line["claimed"], line["allowed"], line["accepted"]) for line in shown["lines"]] == [
        ("35.00", "35.00", True)]
    assert [n.action for n in audit.pending(s)][3:] == [
        "return_order.create", "recognition.request", "recognition.decide", "recognition.enforce",
        "cost_claim.create", "cost_claim.decide", "cost_claim.pay"]
    assert not has_app_context()
