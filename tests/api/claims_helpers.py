"""Arrange credit–claim reconciliation: member states with EUR accounts, accepted cost claims through the
recognition API, and statements of the enforcing state's account imported through the importer."""

from __future__ import annotations

from decimal import Decimal

from ledger.journal.models import Account
from ledger.journal.service import balances, lines_of
from ledger.statements.demo import DemoTransfer, camt053
from tests.api.recognition_flow import BASE, accepted_claim, ensure_parties
from tests.api.recon_helpers import import_statement, start_run

R = "/api/v1/reconciliation"
#: Each state's EUR account: DE enforces (claims and receives), FR and IT issue (decide and pay), RW is a host.
IBANS = {
    "DE": "DE89370400440532013000",
    "FR": "FR1420041010050500013M02606",
    "IT": "IT60X0542811101000000123456",
    "RW": "GB82WEST12345698765432",
}


class ClaimWorld:
    def __init__(self, api, admin, officer, session, tokens):
        self.api, self.officer, self.session = api, officer, session
        self.tokens = ensure_parties(api, admin, dict(tokens), "IT")
        for code, iban in IBANS.items():
            body = {"name": f"Republic {code}", "bank_accounts": [{"iban": iban, "currency": "EUR"}]}
            response = api.put(f"/api/v1/parties/{code}", json=body, token=admin)
            assert response.status_code == 200, response.get_json()
        self.statements = 0

    def claim(self, amount: str, issuing: str = "FR", enforcing: str = "DE") -> dict:
        """An accepted claim (decided 2024-04-01) with `amount` payable."""
        made = accepted_claim(self.api, self.tokens, issuing, enforcing, amount)
        assert made["stage"] == "accepted" and made["payable"] == amount, made
        return made

    def claim_now(self, claim_id: int) -> dict:
        response = self.api.get(f"{BASE}/cost-claims/{claim_id}", token=self.officer)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def statement(self, moves: list[tuple], owner: str = "DE") -> list[int]:
        """Import `moves` (amount, reference, counterparty IBAN, day) on `owner`'s EUR account."""
        self.statements += 1
        document = camt053(IBANS[owner], "EUR", [DemoTransfer(Decimal(m[0]), *m[1:]) for m in moves],
                           message_id=f"CLAIM-MSG-{self.statements}", statement_id=f"CLAIM-STMT-{self.statements}")
        return import_statement(self.api, self.officer, document)

    def run(self, dry_run: bool = False) -> dict:
        return start_run(self.api, self.officer, dry_run)

    def matches(self, status: str | None = None) -> list[dict]:
        query = f"?status={status}" if status else ""
        response = self.api.get(f"{R}/matches{query}", token=self.officer)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def claim_matches(self, status: str | None = None) -> list[dict]:
        return [m for m in self.matches(status) if any(a["claim"] for a in m["allocations"])]

    def transfer(self, transfer_id: int) -> dict:
        return self.api.get(f"/api/v1/transfers/{transfer_id}", token=self.officer).get_json()

    def cash(self, party: str) -> Decimal:
        """The party's EUR that the journal explains: cash recorded for it (a payment recorded through the API) and
        cash at its bank account, less what waits in that account's suspense (imported, not yet explained)."""
        self.session.expire_all()
        own = (Account.party_code == party) | (Account.bank_account == IBANS[party])
        rows = balances(self.session, account_filter=Account.purpose.in_(["cash", "suspense"]) & own
                        & (Account.currency == "EUR"))
        return sum((b for _, b in rows), Decimal(0))

    def entry(self, entry_id: int) -> dict[str, Decimal]:
        """An entry's lines by account code (balanced entries sum to zero)."""
        return {line.account.code: line.amount.amount for line in lines_of(self.session, entry_id)}
