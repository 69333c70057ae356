"""Demo payments: one batch from GB's treasury account paying half of an open invoice, proposed, approved by
officers other than its preparer, and released (its pain.001 frozen, its transfers in transit), through the same
services as the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth import Principal
from ledger.errors import Problem
from ledger.invoices.models import Invoice
from ledger.money import quantize
from ledger.parties.models import BankAccount
from ledger.statements.demo import GB_ACCOUNT, RW_ACCOUNT
from ledger.timeutil import today

PREPARER = Principal(key="demo:payments-preparer", name="demo preparer", role="finance_officer")
APPROVERS = (Principal(key="demo:payments-approver-1", name="demo approver 1", role="finance_officer"),
             Principal(key="demo:payments-approver-2", name="demo approver 2", role="finance_officer"))
#: The Rwandan central bank's BIC: Rwanda has no IBAN, so its account number is paid through its bank's BIC.
RW_BIC = "BNRWRWRW"


def seed(session: Session) -> list[tuple[str, str]]:
    from ledger.payments import service

    rw = session.execute(select(BankAccount).where(BankAccount.iban == RW_ACCOUNT)).scalar()
    if rw is not None and rw.bic is None:
        rw.bic = RW_BIC
        session.flush()
    if session.execute(select(BankAccount).where(BankAccount.iban == GB_ACCOUNT)).scalar() is None:
        return []
    invoice = _one_to_pay(session, service)
    if invoice is None:
        return []  # nothing open to pay in this demo
    day = today()
    try:
        batch = service.propose(session, debtor_account=GB_ACCOUNT, due_by=day + timedelta(days=60),
                                execution_date=day + timedelta(days=1), principal=PREPARER,
                                second_above=Decimal("100000.00"), invoice_ids=[invoice.id],
                                amounts={invoice.id: quantize(invoice.amount_open / 2, invoice.currency)})
    except Problem:
        return []
    for approver in APPROVERS[:batch.approvals_required]:
        service.approve(session, batch.id, batch.digest, approver)
    service.release(session, batch.id, PREPARER)
    return []


def _one_to_pay(session: Session, service) -> Invoice | None:
    """GB's latest-due open invoice that nothing else holds: the demo batch pays half of it (a partial payment),
    so the invoice stays open, as do the ones the demo statement and its reconciliation pay."""
    candidates = list(session.execute(
        select(Invoice).where(Invoice.payer_code == "GB", Invoice.status == "approved", Invoice.currency == "GBP",
                              Invoice.document_type == "invoice", Invoice.amount_open > 0)
        .order_by(Invoice.due_on.desc(), Invoice.id.desc())).scalars())
    held = service.reserved(session, [i.id for i in candidates])
    return next((i for i in candidates if i.id not in held), None)
