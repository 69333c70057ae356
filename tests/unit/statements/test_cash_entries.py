"""The import's journal entries as plain values: a bank account's cash against its suspense, per day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.journal.rules import AccountKey, check_entry
from ledger.money import Money
from ledger.statements.cash import BookedDay, import_entries, opening_entry

IBAN = "GB29NWBK60161331926819"


def test_a_days_credits_and_debits_move_cash_against_suspense_and_balance():
    (entry,) = import_entries(7, [BookedDay(IBAN, "GBP", date(2026, 5, 1), Decimal("1200.00"), Decimal("10000.00"), 3)])
    check_entry(entry)
    by_code = {line.account.code: line.amount for line in entry.lines if line.amount.amount > 0}
    assert by_code == {f"cash:-:-:-:GBP:{IBAN}": Money.of("1200.00", "GBP"),
                       f"suspense:-:-:-:GBP:{IBAN}": Money.of("10000.00", "GBP")}
    cash = sum((line.amount.amount for line in entry.lines if line.account.purpose == "cash"), Decimal(0))
    assert cash == Decimal("-8800.00")  # what the bank's balance moved by
    assert (entry.source_type, entry.source_id, entry.effective_date) == ("statement_import", "7", date(2026, 5, 1))


def test_one_entry_per_bank_account_currency_and_day():
    days = [BookedDay(IBAN, "GBP", date(2026, 5, 1), Decimal("5.00"), Decimal(0), 1),
            BookedDay(IBAN, "GBP", date(2026, 5, 2), Decimal(0), Decimal("5.00"), 1),
            BookedDay(IBAN, "EUR", date(2026, 5, 2), Decimal(0), Decimal("5.00"), 1)]
    entries = import_entries(1, days)
    assert len(entries) == 3 and all(len(e.lines) == 2 for e in entries)


def test_an_opening_balance_is_cash_against_opening_balances_and_nothing_when_zero():
    entry = opening_entry(1, IBAN, Money.of("-20.00", "EUR"), date(2026, 5, 1))
    check_entry(entry)
    assert [(line.account.code, str(line.amount)) for line in entry.lines] == [
        (f"cash:-:-:-:EUR:{IBAN}", "-20.00"), (f"opening_balances:-:-:-:EUR:{IBAN}", "20.00")]
    assert opening_entry(1, IBAN, Money.zero("EUR"), date(2026, 5, 1)) is None


def test_a_bank_accounts_code_names_it_after_the_currency_and_others_keep_theirs():
    assert AccountKey("cash", "GBP", "GB").code == "cash:GB:-:-:GBP"
    assert AccountKey("suspense", "GBP", bank_account=IBAN).code == f"suspense:-:-:-:GBP:{IBAN}"
