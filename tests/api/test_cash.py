"""Cash equals the bank: every imported transfer is posted (cash at its bank account against the account's
suspense), matches take the money out of suspense, reversals put it back, and a payment in another currency keeps
its cash in the bank's currency with the realised FX difference on its own account."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ledger.journal.models import Posting
from ledger.statements.demo import DemoTransfer, camt053
from tests.api.recon_helpers import GB_ACCOUNT, GB_EUR, RW_IBAN, R, entry_lines, rf_reference

UNREGISTERED = "NL91ABNA0417164300"


def _import(world, account: str, currency: str, moves: list[tuple], opening: str = "0.00") -> dict:
    """Import a camt.053 of `moves` (amount, reference, counterparty IBAN, day); returns the statement."""
    world.statements += 1
    document = camt053(account, currency, [DemoTransfer(Decimal(m[0]), *m[1:]) for m in moves],
                       opening=Decimal(opening), message_id=f"CASH-{world.statements}",
                       statement_id=f"CASH-STMT-{world.statements}")
    response = world.api.post("/api/v1/statements", token=world.officer, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(document), "statement.xml")})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _balances(world, bank_account: str, token: str | None = None) -> dict[tuple[str, str], Decimal]:
    """(purpose, currency) → balance of the bank account's journal accounts, read through `/accounts`."""
    response = world.api.get(f"/api/v1/accounts?bank_account={bank_account}&limit=100", token=token or world.officer)
    assert response.status_code == 200, response.get_json()
    return {(a["purpose"], a["currency"]): Decimal(a["balance"]) for a in response.get_json()["items"]}


def _cash_equals_the_bank(world, statement: dict) -> None:
    assert "cash_differs_from_statement" not in statement["flags"]
    cash = _balances(world, statement["account"]).get(("cash", statement["currency"]), Decimal(0))
    assert cash == Decimal(statement["closing_balance"]), (statement["account"], cash, statement["closing_balance"])


def test_after_each_import_every_bank_accounts_cash_equals_its_closing_balance(world):
    first = _import(world, GB_ACCOUNT, "GBP", [("-10000.00", "Support", RW_IBAN, date(2026, 5, 1)),
                                               ("1200.00", "Refund", RW_IBAN, date(2026, 5, 3))], opening="250000.00")
    assert first["closing_balance"] == "241200.00"
    _cash_equals_the_bank(world, first)
    balances = _balances(world, GB_ACCOUNT)
    # The journal had never seen the account: its opening balance came in with the first statement.
    assert balances[("opening_balances", "GBP")] == Decimal("-250000.00")
    assert balances[("suspense", "GBP")] == Decimal("8800.00")  # paid out 10000, received 1200: nothing explained

    second = _import(world, GB_ACCOUNT, "GBP", [("-500.00", "Fees", None, date(2026, 6, 2))],
                     opening=first["closing_balance"])
    _cash_equals_the_bank(world, second)
    euros = _import(world, GB_EUR, "EUR", [("-1150.00", "Support in euros", RW_IBAN, date(2026, 6, 3))],
                    opening="5000.00")
    _cash_equals_the_bank(world, euros)
    nobodys = _import(world, UNREGISTERED, "EUR", [("75.00", "Interest", None, date(2026, 6, 4))], opening="10.00")
    assert "unknown_account" in nobodys["flags"]
    _cash_equals_the_bank(world, nobodys)  # money at a bank no party is registered for is still money

    again = _import(world, GB_ACCOUNT, "GBP", [("-500.00", "Fees", None, date(2026, 6, 2))],
                    opening=first["closing_balance"])
    assert again["imported"] == 0 and again["duplicates"] == 1
    _cash_equals_the_bank(world, again)  # the same movements again: posted once
    assert _balances(world, GB_ACCOUNT)[("cash", "GBP")] == Decimal("240700.00")


def test_a_statement_that_does_not_follow_on_from_the_journal_is_flagged(world):
    _import(world, GB_ACCOUNT, "GBP", [("-100.00", "Fees", None, date(2026, 5, 1))], opening="1000.00")
    gap = _import(world, GB_ACCOUNT, "GBP", [("-100.00", "Fees", None, date(2026, 7, 1))], opening="2000.00")
    assert "cash_differs_from_statement" in gap["flags"]  # a statement is missing: said, not adjusted away
    assert _balances(world, GB_ACCOUNT)[("cash", "GBP")] == Decimal("800.00")


def test_unexplained_money_waits_in_suspense_until_matched_and_a_reversal_puts_it_back(world):
    ref = rf_reference("RWCASH1")
    invoice = world.invoice("GB", "RW-CASH-1", "10000.00", ref)
    statement = _import(world, GB_ACCOUNT, "GBP", [("-10000.00", ref, RW_IBAN, date(2026, 5, 1)),
                                                   ("-300.00", "Something", RW_IBAN, date(2026, 5, 2))])
    _cash_equals_the_bank(world, statement)
    assert _balances(world, GB_ACCOUNT)[("suspense", "GBP")] == Decimal("10300.00")

    assert world.run()["auto_matched"] == 1
    (match,) = world.matches("auto")
    balances = _balances(world, GB_ACCOUNT)
    assert balances[("suspense", "GBP")] == Decimal("300.00")  # only what nothing explains is left
    assert balances[("cash", "GBP")] == Decimal("-10300.00")  # matching moves no cash: the bank did
    assert world.payable("GB") == 0 and world.invoice_row(invoice).status == "paid"

    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "wrong invoice"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    balances = _balances(world, GB_ACCOUNT)
    assert balances[("suspense", "GBP")] == Decimal("10300.00") and balances[("cash", "GBP")] == Decimal("-10300.00")
    assert world.payable("GB") == Decimal("10000.00")


def test_a_payment_in_another_currency_keeps_cash_in_the_banks_currency_and_the_fx_difference_apart(world, session):
    ref = rf_reference("RWCASHFX")
    invoice = world.invoice("GB", "RW-CASH-FX", "1000.00", ref)
    statement = _import(world, GB_EUR, "EUR", [("-1150.00", ref, RW_IBAN, date(2026, 5, 2))])
    (transfer,) = [t["id"] for t in world.api.get(f"/api/v1/transfers?statement={statement['id']}",
                                                 token=world.officer).get_json()["items"]]
    stated = world.api.put(f"/api/v1/transfers/{transfer}/fx", token=world.officer,
                           json={"instructed_amount": "1000.00", "instructed_currency": "GBP", "rate": "1.151",
                                 "source": "bank advice"})
    assert stated.status_code == 200, stated.get_json()
    assert world.run()["auto_matched"] == 1
    (match,) = world.matches("auto")
    assert match["value"] == "999.13" and match["residual_account"] == "fx_differences"  # 1150 ÷ 1.151

    balances = _balances(world, GB_EUR)
    assert balances[("cash", "EUR")] == Decimal("-1150.00") and ("cash", "GBP") not in balances
    _cash_equals_the_bank(world, statement)
    assert balances[("suspense", "EUR")] == 0
    # The bank account's conversion: 1150.00 EUR went in, worth 999.13 GBP at the bank's rate.
    assert balances[("currency_exchange", "EUR")] == Decimal("1150.00")
    assert balances[("currency_exchange", "GBP")] == Decimal("-999.13")
    assert world.balance("fx_differences", "GB") == Decimal("-0.87")  # realised: 1000.00 settled by 999.13
    assert world.payable("GB") == 0 and world.invoice_row(invoice).status == "paid"
    lines = {code: (amount, fx) for code, amount, fx in entry_lines(session, match["journal_entry"])}
    amount, fx = lines[f"currency_exchange:-:-:-:GBP:{GB_EUR}"]
    assert amount == "-999.13" and fx.rate == Decimal("1.151") and fx.source == "bank advice"
    assert str(fx.original) == "1150.00" and fx.original.currency == "EUR"


def test_every_entry_balances_in_each_currency(world, session):
    ref = rf_reference("RWCASHALL")
    world.invoice("GB", "RW-CASH-ALL", "1000.00", ref)
    world.credit_note("GB", "RW-CASH-CN", "200.00", rf_reference("RWCASHCN"))
    _import(world, GB_ACCOUNT, "GBP", [("200.00", rf_reference("RWCASHCN"), RW_IBAN, date(2026, 5, 3)),
                                       ("-40.00", "Fees", None, date(2026, 5, 3))], opening="900.00")
    statement = _import(world, GB_EUR, 'EUR', [('-1150.00', ref, RW_IBAN, date(2026, 5, 2))])['id']
    (transfer,) = [t["id"] for t in world.api.get(
        f"/api/v1/transfers?statement={statement}", token=world.officer).get_json()["items"]]
    world.api.put(f"/api/v1/transfers/{transfer}/fx", token=world.officer,
                  json={"instructed_amount": "1000.00", "instructed_currency": "GBP", "rate": "1.151"})
    assert world.run()["auto_matched"] == 2
    session.expire_all()
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for entry_id, currency, amount in session.execute(select(Posting.entry_id, Posting.currency, Posting.amount)):
        sums[entry_id, currency] += amount
    assert sums and all(total == 0 for total in sums.values()), {k: v for k, v in sums.items() if v}
    assert {currency for _, currency in sums} == {"GBP", "EUR"}


def test_a_partner_sees_its_own_bank_accounts_money_and_no_one_elses(world):
    _import(world, GB_ACCOUNT, "GBP", [("-100.00", "Fees", None, date(2026, 5, 1))], opening="1000.00")
    assert _balances(world, GB_ACCOUNT, token=world.parties["GB"])[("cash", "GBP")] == Decimal("900.00")
    assert _balances(world, GB_ACCOUNT, token=world.parties["DE"]) == {}
