"""Demo reconciliation: Rwanda's monthly invoices to GB (approved), paid by the transfers of GB's demo
statement, then a run, so `ledger demo` shows posted auto matches and a few proposals waiting for review.

The demo statement pays Rwanda each month quoting the RF reference `GBRW<yyyymm>`; most invoices carry that
reference, two carry none (matched on amount and party alone). A second small statement adds payments that
fit two open invoices of the same amount, which a run can only propose.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from ledger.agreements import queries as agreements
from ledger.invoices.models import Invoice
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.journal.service import first_open_period, post_entries
from ledger.money import Money
from ledger.parties.models import BankAccount
from ledger.statements.demo import (
    COUNTERPARTY_NAMES,
    GB_ACCOUNT,
    RW_ACCOUNT,
    DemoTransfer,
    camt053,
    demo_months,
    rf_reference,
)
from ledger.statements.models import Transfer
from ledger.timeutil import today

AMOUNT_ONLY = {6, 9}  # demo months (numbered from 1) whose invoice names no payment reference


def _invoice(session: Session, agreement, number: str, amount: Decimal, issued: date, due: date,
             reference: str | None) -> Invoice:
    money = Money(amount, agreement.currency)
    invoice = Invoice(agreement_id=agreement.id, payee_code=agreement.payee_code, payer_code=agreement.payer_code,
                      number=number, document_type="invoice", issued_on=issued, due_on=due,
                      currency=agreement.currency, period=f"{issued:%Y-%m}", payment_reference=reference,
                      payment_reference_is_rf=reference is not None, total=amount, payable=amount,
                      amount_open=amount, status="approved", source="json", decided_by="demo officer")
    session.add(invoice)
    session.flush()
    payer, payee, cur = agreement.payer_code, agreement.payee_code, agreement.currency
    invoice.journal_entry_id = post_entries(session, [EntryDraft(
        effective_date=issued, period=first_open_period(session, issued),
        lines=(debit(AccountKey("returns_costs", cur, payer, payee, agreement.id), money),
               credit(AccountKey("invoices_payable", cur, payee, payer, agreement.id), money)),
        source_type="invoice_approval", source_id=str(invoice.id),
        memo=f"{agreement.reference}: invoice {number} approved")])[0]
    return invoice


def seed(session: Session) -> list[tuple[str, str]]:
    from ledger.reconciliation import service
    from ledger.statements.service import attach_unknown_transfers, import_statement

    agreement = agreements.by_reference(session, "GB-RW-DEMO-01")
    if agreement is None or agreement.currency != "GBP":
        return []
    # Rwanda's treasury account (a central-bank account id, not an IBAN) becomes known. The statement names it
    # only as "other" account id, which the importer does not keep as an IBAN: attribute those payments.
    session.add(BankAccount(party_code="RW", iban=RW_ACCOUNT, currency="GBP"))
    session.flush()
    months = demo_months()
    start = max(agreement.effective_from, months[0])
    for n, issued in enumerate(months, start=1):
        if issued < start.replace(day=1) or issued > today():
            continue
        amount = Decimal("21900.00") + Decimal(n * 730)  # what the demo statement pays on the 14th
        reference = None if n in AMOUNT_ONLY else rf_reference(f"GBRW{issued:%Y%m}")
        _invoice(session, agreement, f"RW-INV-{issued:%Y-%m}", amount, issued, issued.replace(day=28), reference)
    # Support top-ups of the same amount in the last demo month: a payment fitting both can only be proposed.
    last = months[-1]
    for suffix, due in (("A", last.replace(day=20)), ("B", last.replace(day=24))):
        _invoice(session, agreement, f"RW-SUP-{last:%Y-%m}{suffix}", Decimal("12500.00"), last.replace(day=5), due,
                 None)
    extra = camt053(GB_ACCOUNT, "GBP", [
        DemoTransfer(Decimal("-12500.00"), "Support top-up", RW_ACCOUNT, last.replace(day=22)),
        DemoTransfer(Decimal("-12500.00"), "Support top-up", RW_ACCOUNT, last.replace(day=27))],
                    opening=Decimal("4000000.00"), message_id="BUKB-DEMO-0002", statement_id="GB-TREASURY-DEMO-B")
    import_statement(session, io.BytesIO(extra), actor="demo")
    # What the bank reported stays as it was (transfers are frozen); only who the payee is gets filled in.
    session.execute(update(Transfer).where(Transfer.counterparty_iban.is_(None),
                                           Transfer.counterparty_name == COUNTERPARTY_NAMES[RW_ACCOUNT])
                    .values(counterparty_party="RW").execution_options(synchronize_session=False))
    attach_unknown_transfers(session, RW_ACCOUNT)
    service.run(session, "demo")
    return []
