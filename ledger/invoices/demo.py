"""Demo invoices for the demo agreements (`ledger.agreements.demo`), through the same services as the API.

For the month after each agreement started:
* GB-RW-DEMO-01: Rwanda's invoice, clean, accepted and approved (the advance, not yet invoiced nor paid,
  offsets nothing);
* IT-AL-DEMO-01: Albania's invoice with one fee claimed 100.00 too high: disputed (amount_mismatch), and
  sent back by the finance officer with a reason;
and for the month after that, Rwanda's next invoice, accepted and waiting for a decision, and Rwanda's invoice
of actual costs (cost_reimbursement) for three people, one of whose healthcare is above its cap: disputed
(cap_exceeded, with the headroom left) and waiting for the officer.

Every invoice carries an ISO 11649 RF reference made by `demo_reference`, so a demo bank statement can pay
them: `payment_references(session)` lists the open ones with their amounts.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from ledger.agreements import queries as agreement_queries
from ledger.agreements import service as agreements
from ledger.invoices import from_json, service
from ledger.invoices.models import Invoice
from ledger.invoices.parsed import LINE_KINDS
from ledger.journal.service import next_period
from ledger.money import Money

OFFICER = "demo officer"


def demo_reference(agreement_reference: str, period: str) -> str:
    """The RF creditor reference of the demo invoice for `agreement_reference` and `period` (YYYY-MM)."""
    return service.rf_reference(f"{agreement_reference}{period}")


def invoice_number(payee: str, period: str) -> str:
    return f"{payee}-{period}"


def _lines(session: Session, agreement, period: str) -> list[dict]:
    pseudonyms = agreement_queries.pseudonyms(session, agreement.id)
    rows = agreement_queries.accrued_obligations(session, agreement.id, period, LINE_KINDS - {"advance_offset"})
    lines = []
    for o in rows:
        line = {"kind": o.kind, "amount": Money(Decimal(o.amount), o.currency)}
        if o.returnee_id is not None:  # partners name people by pseudonym (fees) or by id (support)
            line["returnee"] = pseudonyms.get(o.returnee_id) if o.kind == "per_returnee_fee" else str(o.returnee_id)
        lines.append(line)
    return lines


def _invoice(session: Session, agreement, period: str, overcharge: Decimal = Decimal(0)) -> Invoice:
    lines = _lines(session, agreement, period)
    if overcharge and lines:
        first = next(line for line in lines if line["kind"] == "per_returnee_fee")
        first["amount"] = first["amount"] + Money(overcharge, agreement.currency)
    total = Money(sum((line["amount"].amount for line in lines), Decimal(0)), agreement.currency)
    issued_on = _first_day_after(period)
    payload = {"agreement": agreement.reference, "number": invoice_number(agreement.payee_code, period),
               "issued_on": issued_on, "due_on": issued_on + timedelta(days=30), "currency": agreement.currency,
               "period": period, "payment_reference": demo_reference(agreement.reference, period),
               "total": total, "lines": lines}
    _, invoice = service.receive(session, from_json(payload), agreement.payee_code)
    return invoice


def _first_day_after(period: str) -> date:
    following = next_period(period)
    return date(int(following[:4]), int(following[5:]), 2)


def seed(session: Session) -> list:
    found = {a.reference: a for a in agreements.all_agreements(session)}
    rwanda, albania = found.get("GB-RW-DEMO-01"), found.get("IT-AL-DEMO-01")
    if rwanda is None or albania is None:
        return []
    first = next_period(f"{rwanda.effective_from.year:04d}-{rwanda.effective_from.month:02d}")
    approved = _invoice(session, rwanda, first)
    service.approve(session, approved, [], OFFICER)
    disputed = _invoice(session, albania, first, overcharge=Decimal("100.00"))
    service.dispute(session, disputed, "the first reception fee is above the agreed 1,500.00", None, OFFICER)
    _invoice(session, rwanda, next_period(first))
    _costs(session, rwanda, next_period(first))
    return []


def _costs(session: Session, agreement, period: str) -> Invoice | None:
    first = date(int(period[:4]), int(period[5:]), 1)
    people = agreement_queries.staying(session, agreement.id, first, 3)
    if len(people) < 3:
        return None
    cur = agreement.currency
    lines = [
        {"kind": "actual_cost", "returnee": people[0].pseudonym, "category": "accommodation",
         "amount": Money.of("1850.00", cur), "evidence_ref": "KGL-HOSTEL-0412"},
        {"kind": "actual_cost", "returnee": people[0].pseudonym, "category": "healthcare",
         "amount": Money.of("21400.00", cur), "evidence_ref": "KFH-SURGERY-88"},  # above the 20,000.00 cap
        {"kind": "actual_cost", "returnee": people[1].pseudonym, "category": "legal_aid",
         "amount": Money.of("640.00", cur), "evidence_ref": "LEGAL-AID-311"},
        {"kind": "actual_cost", "returnee": people[2].pseudonym, "category": "integration",
         "amount": Money.of("975.00", cur), "evidence_ref": "TVET-COURSE-27"},
    ]
    total = Money(sum((line["amount"].amount for line in lines), Decimal(0)), cur)
    issued_on = _first_day_after(period)
    payload = {"agreement": agreement.reference, "number": f"{agreement.payee_code}-COSTS-{period}",
               "issued_on": issued_on, "due_on": issued_on + timedelta(days=30), "currency": cur, "period": period,
               "payment_reference": demo_reference(agreement.reference, f"C{period}"), "total": total, "lines": lines}
    _, invoice = service.receive(session, from_json(payload), agreement.payee_code)
    return invoice
