"""Arrange reconciliation scenarios: agreements by API, approved invoices posted to the journal, statements
imported through the importer."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ledger.invoices.models import Invoice
from ledger.journal.models import Account
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.journal.service import balances, post_entries
from ledger.money import Money
from ledger.statements.demo import GB_ACCOUNT, DemoTransfer, camt053, rf_reference
from tests.api.agreements_helpers import create_agreement
from tests.api.invoices_helpers import TERMS

R = "/api/v1/reconciliation"
RW_IBAN = "GB29NWBK60161331926819"
DE_IBAN = "DE89370400440532013000"
GB_EUR = "GB82WEST12345698765432"

__all__ = ["DE_IBAN", "GB_ACCOUNT", "GB_EUR", "RW_IBAN", "R", "World", "rf_reference"]


def import_statement(api, token: str, document: bytes) -> list[int]:
    """Import a statement file as an officer would; returns the new transfer ids."""
    response = api.post("/api/v1/statements", token=token, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(document), "statement.xml")})
    assert response.status_code == 201, response.get_json()
    listed = api.get(f"/api/v1/transfers?statement={response.get_json()['id']}", token=token).get_json()["items"]
    return [t["id"] for t in listed]


def start_run(api, token: str, dry_run: bool = False) -> dict:
    response = api.post(f"{R}/runs", json={"dry_run": dry_run}, token=token)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


class World:
    """GB and DE each owe RW under an agreement (GBP, tolerance 50.00 / 0.5 %)."""

    def __init__(self, api, admin, officer, session, parties):
        self.api, self.officer, self.session, self.parties = api, officer, session, parties
        for code, accounts in (("GB", [(GB_ACCOUNT, "GBP"), (GB_EUR, "EUR")]), ("RW", [(RW_IBAN, "GBP")]),
                               ("DE", [(DE_IBAN, "GBP")])):
            body = {"name": f"Republic {code}", "bank_accounts": [{"iban": i, "currency": c} for i, c in accounts]}
            response = api.put(f"/api/v1/parties/{code}", json=body, token=admin)
            assert response.status_code == 200, response.get_json()
        self.agreements = {
            "GB": create_agreement(api, admin, terms=TERMS)["id"],
            "DE": create_agreement(api, admin, reference="DE-RW-2026-01", payer="DE", terms=TERMS)["id"],
        }
        self.statements = 0

    def invoice(self, payer: str, number: str, amount: str, reference: str | None = None,
                due_on: date = date(2026, 5, 2), issued_on: date = date(2026, 4, 2)) -> int:
        """An approved invoice from RW, its payable posted (Dr returns_costs / Cr invoices_payable)."""
        s = self.session
        money = Money.of(amount, "GBP")
        agreement_id = self.agreements[payer]
        invoice = Invoice(agreement_id=agreement_id, payee_code="RW", payer_code=payer, number=number,
                          document_type="invoice", issued_on=issued_on, due_on=due_on, currency="GBP",
                          period="2026-03", payment_reference=reference, payment_reference_is_rf=bool(reference),
                          total=money.amount, payable=money.amount, amount_open=money.amount, status="approved",
                          source="json")
        s.add(invoice)
        s.flush()
        entry = post_entries(s, [EntryDraft(issued_on, (
            debit(AccountKey("returns_costs", "GBP", payer, "RW", agreement_id), money),
            credit(AccountKey("invoices_payable", "GBP", "RW", payer, agreement_id), money)),
            "invoice_approval", str(invoice.id), f"invoice {number} approved")])[0]
        invoice.journal_entry_id = entry
        s.commit()
        return invoice.id

    def credit_note(self, payer: str, number: str, credit_left: str, reference: str | None = None) -> int:
        """An approved credit note from RW with `credit_left` still to be refunded (nothing open to set it
        against), posted as approval does: Dr invoices_payable / Cr returns_costs."""
        s = self.session
        money = Money.of(credit_left, "GBP")
        agreement_id = self.agreements[payer]
        note = Invoice(agreement_id=agreement_id, payee_code="RW", payer_code=payer, number=number,
                       document_type="credit_note", issued_on=date(2026, 4, 10), due_on=None, currency="GBP",
                       period="2026-03", payment_reference=reference, payment_reference_is_rf=bool(reference),
                       total=money.amount, payable=-money.amount, amount_open=-money.amount, status="approved",
                       source="json")
        s.add(note)
        s.flush()
        note.journal_entry_id = post_entries(s, [EntryDraft(date(2026, 4, 10), (
            debit(AccountKey("invoices_payable", "GBP", "RW", payer, agreement_id), money),
            credit(AccountKey("returns_costs", "GBP", payer, "RW", agreement_id), money)),
            "invoice_approval", str(note.id), f"credit note {number} approved")])[0]
        s.commit()
        return note.id

    def statement(self, moves: list[tuple], account: str = GB_ACCOUNT, currency: str = "GBP") -> list[int]:
        """Import `moves` (amount, reference, counterparty IBAN, day) on `account`; returns the new transfer ids."""
        self.statements += 1
        transfers = [DemoTransfer(Decimal(m[0]), *m[1:]) for m in moves]
        document = camt053(account, currency, transfers, message_id=f"MSG-{self.statements}",
                           statement_id=f"STMT-{self.statements}")
        return self.import_statement(document)

    def import_statement(self, document: bytes) -> list[int]:
        return import_statement(self.api, self.officer, document)

    def run(self, dry_run: bool = False) -> dict:
        return start_run(self.api, self.officer, dry_run)

    def matches(self, status: str | None = None, token: str | None = None) -> list[dict]:
        query = f"?status={status}" if status else ""
        response = self.api.get(f"{R}/matches{query}", token=token or self.officer)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def invoice_row(self, invoice_id: int) -> Invoice:
        self.session.expire_all()
        return self.session.get(Invoice, invoice_id)

    def transfer(self, transfer_id: int) -> dict:
        return self.api.get(f"/api/v1/transfers/{transfer_id}", token=self.officer).get_json()

    def balance(self, purpose: str, party: str, counterparty: str | None = None) -> Decimal:
        self.session.expire_all()
        rows = balances(self.session, account_filter=(Account.purpose == purpose) & (Account.party_code == party))
        return sum((b for account, b in rows
                    if counterparty is None or account.counterparty_code == counterparty), Decimal(0))

    def payable(self, payer: str) -> Decimal:
        """What GB (or DE) still owes RW on invoices, from the journal (a liability: credit balance)."""
        self.session.expire_all()
        rows = balances(self.session, account_filter=(Account.purpose == "invoices_payable")
                        & (Account.counterparty_code == payer))
        return -sum((b for _, b in rows), Decimal(0))


def entry_lines(session, entry_id: int) -> list[tuple[str, str, object]]:
    from ledger.journal.service import lines_of

    return [(line.account.code, str(line.amount), line.fx) for line in lines_of(session, entry_id)]


def open_invoice_ids(session) -> set[int]:
    return set(session.execute(select(Invoice.id).where(Invoice.status == "approved")).scalars())
