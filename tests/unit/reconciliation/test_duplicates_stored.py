"""The duplicate checks that read the database (`repeats_waiting` for a run, `possible_duplicates` for a page) decide
what the plain rule `duplicate_of` decides, over generated paid invoices and waiting payments that share payers,
amounts and references."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from ledger.agreements.models import Agreement
from ledger.invoices.models import Invoice
from ledger.parties.models import Party
from ledger.reconciliation.duplicates import (
    duplicate_of,
    paid_invoice,
    payment_of,
    possible_duplicates,
    repeats_waiting,
)
from ledger.statements.models import Statement, Transfer

PAYERS, PAYEES = ["QA", "QB"], ["QY", "QZ"]
#: Mostly the first payer, host and currency, so that several paid invoices are often candidates for one payment.
PAYER, PAYEE, CURRENCY = (st.sampled_from([x[0]] * 3 + x[1:]) for x in (PAYERS, PAYEES, ["GBP", "EUR"]))


def mostly(usual, *rare):
    return st.sampled_from([usual] * 4 + list(rare))
AMOUNTS = ["100.00", "250.00"]
#: References quoted by invoices and payments alike, in several of the forms the engine compares.
REFERENCES = ["RW-7", "RW7", "RF18RW7", "INV-0042", "INV 42", "AL-2026-01"]
DAY = date(2026, 5, 1)


@st.composite
def invoices(draw):
    rows, numbers = [], set()
    for n in range(draw(st.integers(0, 12))):
        payee = draw(PAYEE)
        number = draw(st.sampled_from(REFERENCES))
        number = number if (payee, number) not in numbers else f"{number}-{n}"
        numbers.add((payee, number))
        payable = Decimal(draw(st.sampled_from(AMOUNTS)))
        rows.append({"payer_code": draw(PAYER), "payee_code": payee, "number": number,
                     "payment_reference": draw(st.sampled_from([None, *REFERENCES])),
                     "currency": draw(CURRENCY), "payable": payable,
                     "advance_offset": draw(st.sampled_from([Decimal(0), payable - Decimal(AMOUNTS[0])])),
                     "status": draw(mostly("paid", "in_transit", "approved")),
                     "document_type": draw(mostly("invoice", "credit_note"))})
    return rows


@st.composite
def payments(draw):
    quoted = st.sampled_from([None, "Monthly fee", *REFERENCES, *(f"Fee {r}" for r in REFERENCES)])
    return [{"party_code": draw(mostly(draw(PAYER), None)), "counterparty_party": draw(PAYEE),
             "currency": draw(CURRENCY), "amount": Decimal(draw(st.sampled_from(AMOUNTS))),
             "direction": draw(mostly("debit", "credit")), "booking_status": draw(mostly("booked", "pending")),
             "reversal": draw(mostly(False, True)), "allocated": draw(mostly(Decimal(0), Decimal("50.00"))),
             "end_to_end_id": draw(st.sampled_from([None, "NOTPROVIDED", *REFERENCES])),
             "structured_reference": draw(quoted), "remittance_information": draw(quoted)}
            for _ in range(draw(st.integers(0, 10)))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(invoices(), payments())
def test_the_stored_checks_decide_as_the_plain_rule(session, invoice_rows, transfer_rows):
    savepoint = session.begin_nested()
    try:
        _store(session, invoice_rows, transfer_rows)
        paid = [paid_invoice(*row) for row in session.execute(
            select(Invoice.id, Invoice.number, Invoice.payment_reference, Invoice.payer_code, Invoice.payee_code,
                   Invoice.currency, Invoice.payable, Invoice.advance_offset)
            .where(Invoice.status.in_(["paid", "in_transit"]), Invoice.document_type == "invoice"))]
        transfers = session.scalars(select(Transfer).where(Transfer.fingerprint.like("dupes-%"))).all()
        expected = {}
        for t in transfers:
            if (t.direction, t.booking_status, t.reversal, t.allocated) == ("debit", "booked", False, 0) \
                    and t.party_code and t.counterparty_party:
                invoice = duplicate_of(payment_of(t), paid)
                if invoice is not None:
                    expected[t.id] = invoice.id
        assert repeats_waiting(session) == expected
        pending = [t for t in transfers if t.booking_status == "booked"]  # a page shows booked transfers
        found = possible_duplicates(session, pending)
        assert {t: invoice.id for t, invoice in found.items()} == {t: i for t, i in expected.items()}
    finally:
        savepoint.rollback()


def _store(session, invoice_rows, transfer_rows) -> None:
    session.execute(insert(Party), [{"code": c, "name": f"State {c}", "contact_point": "", "version": 1,
                                     "created_at": DAY} for c in PAYERS + PAYEES])
    agreement = {}
    for payer in PAYERS:
        for payee in PAYEES:
            agreement[(payer, payee)] = session.execute(insert(Agreement).returning(Agreement.id), [{
                "reference": f"AG-DUPES-{payer}-{payee}", "kind": "return_hub", "payer_code": payer,
                "payee_code": payee, "currency": "GBP", "effective_from": DAY, "version": 1,
                "created_at": DAY}]).scalar_one()
    for row in invoice_rows:
        session.execute(insert(Invoice), [{
            **row, "agreement_id": agreement[(row["payer_code"], row["payee_code"])], "issued_on": DAY,
            "due_on": DAY, "period": "2026-05", "payment_reference_is_rf": False, "total": row["payable"],
            "amount_open": 0, "source": "json", "version": 1, "created_at": DAY}])
    statement = session.execute(insert(Statement).returning(Statement.id), [{
        "format": "camt.053", "statements": 1, "entries": len(transfer_rows), "imported": 0, "duplicates": 0,
        "not_booked": 0, "balance_check": "not_checked", "flags": "", "file_sha256": "0" * 64,
        "imported_by": "test", "imported_at": DAY}]).scalar_one()
    for index, row in enumerate(transfer_rows):
        session.execute(insert(Transfer), [{
            **row, "statement_id": statement, "statement_index": 0, "entry_index": index, "account": "DUPES",
            "booking_date": DAY, "value_date": DAY, "counterparty_iban": None, "fingerprint": f"dupes-{index}"}])
