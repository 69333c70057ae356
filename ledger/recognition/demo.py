"""Demo data for EU mutual recognition: Germany enforcing French decisions and claiming the costs.

One claim is accepted (posted to the journal, awaiting payment), one is long overdue for France's
decision, and an Italian one was accepted and paid, so the netting and the overdue list have content.
Dates are relative to today so the overdue claim stays overdue whenever the demo is seeded.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import current_app

from ledger.auth import ApiToken, Principal, hash_token, new_token
from ledger.pseudonyms import PersonalData
from ledger.recognition import service
from ledger.timeutil import today

_FLIGHT = {"category": "transport_air", "amount": Decimal("1480.00"), "evidence_ref": "LH-TKT-2231",
           "reference_fare": Decimal("1215.40")}
_ESCORTS = {"category": "escort_allowance", "amount": Decimal("600.00"), "evidence_ref": "BPOL-ESC-88",
            "days": 2, "escorts": 3}
_DOCUMENT = {"category": "travel_document_fee", "amount": Decimal("35.00"), "evidence_ref": "LP-4410"}


#: The services check who acts for which side; the seeder goes through them as a finance officer would.
SEEDER = Principal(key="cli:demo", name="demo seeder", role="finance_officer")


def _enforced(session, issuing: str, ref: str, case: str, decided_days_ago: int, enforced_days_ago: int):
    day = today()
    order = service.create_order(session, SEEDER, {
        "issuing_state": issuing, "decision_ref": ref, "decision_date": day - timedelta(days=decided_days_ago),
        "ground": "entry_residence_rules", "case_ref": case, "sis_alert_ref": f"SIS-RET-{ref}",
        "european_return_order_ref": None, "legal_basis": None,
    }, PersonalData.from_config(current_app.config))
    requested = day - timedelta(days=decided_days_ago - 10)
    rec = service.request_recognition(session, SEEDER, order.id, {"enforcing_state": "DE", "requested_on": requested})
    recognised = {"recognised": True, "decided_on": requested + timedelta(days=5), "reason": None}
    service.decide_recognition(session, SEEDER, rec.id, recognised, None)
    enforced = day - timedelta(days=enforced_days_ago)
    service.record_enforcement(session, SEEDER, rec.id, {"enforced_on": enforced, "notified_on": enforced}, None)
    return rec


def _claim(session, rec, submitted_days_ago: int, lines: list[dict], recovered: str = "0.00"):
    return service.create_claim(session, SEEDER, {
        "recognition": rec.id, "submitted_on": today() - timedelta(days=submitted_days_ago), "currency": "EUR",
        "recovered_from_person": Decimal(recovered), "lines": lines,
    })


def seed(session) -> list[tuple[str, str]]:
    service.add_allowance_rate(session, SEEDER, "DE", {"effective_from": today() - timedelta(days=900),
                                                       "daily_rate": Decimal("64.00"), "currency": "EUR"})
    accepted = _claim(session, _enforced(session, "FR", "OQTF-75-2025-0413", "demo-case-fr-1", 200, 120), 60,
                      [_FLIGHT, _ESCORTS, _DOCUMENT], "120.00")
    service.decide_claim(session, SEEDER, accepted.id, {"accepted": True, "decided_on": today() - timedelta(days=20),
                                                        "reason": None}, None)
    _claim(session, _enforced(session, "FR", "OQTF-13-2025-0098", "demo-case-fr-2", 400, 300), 150,
           [_FLIGHT, _DOCUMENT])  # France has not answered: decision overdue
    paid = _claim(session, _enforced(session, "IT", "DEC-RM-2025-771", "demo-case-it-1", 300, 200), 190, [_FLIGHT])
    service.decide_claim(session, SEEDER, paid.id, {"accepted": True, "decided_on": today() - timedelta(days=150),
                                                    "reason": None}, None)
    service.record_payment(session, SEEDER, paid.id, today() - timedelta(days=100))
    token = new_token()
    session.add(ApiToken(name="demo France", role="partner", party_code="FR", token_hash=hash_token(token)))
    return [("demo France", token)]
