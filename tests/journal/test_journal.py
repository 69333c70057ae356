"""The journal on a real database: posting, periods, reversals, balances, immutability, the chain."""

import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, JournalError, PeriodClosed, credit, debit
from ledger.money import Money

COSTS = AccountKey("returns_costs", "GBP", "GB", "AL", 1)
OWED = AccountKey("obligations", "GBP", "AL", "GB", 1)
CASH = AccountKey("cash", "GBP", "GB")


def accrual(amount: str, day: date, source_id: str = "1", period: str | None = None) -> EntryDraft:
    money = Money.of(amount, "GBP")
    return EntryDraft(day, (debit(COSTS, money), credit(OWED, money)), "test", source_id, "accrual", period)


def balance_of(session, key: AccountKey, **kw) -> Decimal:
    return dict((a.code, b) for a, b in service.balances(session, **kw)).get(key.code, Decimal(0))


@pytest.fixture
def books(app, parties, session):
    return session


def test_posting_writes_balanced_entries_and_balances(books):
    ids = service.post_entries(books, [accrual("20000.00", date(2026, 3, 4)), accrual("2500.00", date(2026, 4, 1))])
    assert ids == [1, 2]
    assert balance_of(books, OWED) == Decimal("-22500.00")
    assert balance_of(books, COSTS, as_of=date(2026, 3, 31)) == Decimal("20000.00")
    assert balance_of(books, COSTS, period="2026-03") == Decimal("20000.00")


def test_unbalanced_entries_are_refused_whole(books):
    bad = EntryDraft(date(2026, 3, 4), (debit(COSTS, Money.of("1.00", "GBP")), credit(OWED, Money.of("2.00", "GBP"))),
                     "test", "x")
    with pytest.raises(JournalError):
        service.post_entries(books, [accrual("5.00", date(2026, 3, 4)), bad])
    assert service.balances(books) == []


def test_closed_period_refuses_postings_and_names_the_next_open_one(books):
    service.post_entry(books, accrual("100.00", date(2026, 3, 4)))
    service.close_period(books, "2026-03")
    with pytest.raises(PeriodClosed) as refused:
        service.post_entry(books, accrual("100.00", date(2026, 3, 20)))
    assert refused.value.code == "period_closed" and refused.value.extra["next_open_period"] == "2026-04"
    late_period = service.first_open_period(books, date(2026, 3, 20))
    service.post_entry(books, accrual("100.00", date(2026, 3, 20), period=late_period))
    assert balance_of(books, OWED, period="2026-03") == Decimal("-100.00")
    assert balance_of(books, OWED, period="2026-04") == Decimal("-200.00")


def test_an_earlier_month_is_closed_once_a_later_one_is(books):
    service.post_entry(books, accrual("100.00", date(2026, 3, 4)))
    service.close_period(books, "2026-03")
    with pytest.raises(PeriodClosed):
        service.post_entry(books, accrual("1.00", date(2026, 1, 15)))


def test_periods_close_in_order_and_once(books):
    from ledger.errors import Conflict

    service.post_entries(books, [accrual("1.00", date(2026, 3, 4)), accrual("1.00", date(2026, 4, 4))])
    with pytest.raises(Conflict, match="close 2026-03 first"):
        service.close_period(books, "2026-04")
    closed = service.close_period(books, "2026-03")
    assert closed.chain_seq == 2 and len(closed.chain_hash) == 64
    with pytest.raises(Conflict, match="already closed"):
        service.close_period(books, "2026-03")


def test_reversal_restores_the_balance_and_is_single(books):
    from ledger.errors import Conflict

    entry = service.post_entry(books, accrual("20000.00", date(2026, 3, 4)))
    service.reverse(books, entry, date(2026, 3, 10))
    assert balance_of(books, OWED) == 0 and balance_of(books, COSTS) == 0
    with pytest.raises(Conflict, match="already reversed"):
        service.reverse(books, entry, date(2026, 3, 11))


def test_reversing_a_closed_months_entry_lands_in_the_next_open_period(books):
    entry = service.post_entry(books, accrual("50.00", date(2026, 3, 4)))
    service.close_period(books, "2026-03")
    reversal = service.reverse(books, entry, date(2026, 3, 31))
    row = books.get(service.JournalEntry, reversal)
    assert row.period == "2026-04" and row.reverses_id == entry


@pytest.mark.parametrize("statement", [
    "UPDATE journal_entries SET memo = 'changed'",
    "DELETE FROM journal_entries",
    "UPDATE postings SET amount = 0",
    "DELETE FROM postings",
    "UPDATE accounts SET currency = 'EUR'",
    "DELETE FROM accounts",
])
def test_posted_rows_cannot_be_changed_with_sql(books, statement):
    service.post_entry(books, accrual("10.00", date(2026, 3, 4)))
    with pytest.raises(Exception, match="immutable"), books.begin_nested():
        books.execute(text(statement))


def _disable_guards(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE postings DISABLE TRIGGER postings_immutable"))
    else:
        session.execute(text("DROP TRIGGER postings_no_update"))


def test_verify_names_the_first_altered_entry(books, runner):
    service.post_entries(books, [accrual("10.00", date(2026, 3, d)) for d in range(1, 6)])
    books.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _disable_guards(books)
    books.execute(text("UPDATE postings SET amount = amount + 1 WHERE entry_id = 3"))
    books.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "journal: broken at record 3" in result.output


def test_beancount_export_passes_bean_check(books, runner, tmp_path):
    service.post_entries(books, [accrual("20000.00", date(2026, 3, 4)), accrual("2500.00", date(2026, 3, 9))])
    pay = Money.of("20000.00", "GBP")
    service.post_entry(books, EntryDraft(date(2026, 4, 2), (debit(OWED, pay), credit(CASH, pay)), "test", "p"))
    service.close_period(books, "2026-03")
    service.close_period(books, "2026-04")
    books.commit()
    out = tmp_path / "ledger.beancount"
    result = runner.invoke(args=["journal", "export", "--format", "beancount", "-o", str(out)])
    assert result.exit_code == 0, result.output
    content = out.read_text()
    assert "2026-04-01 balance Liabilities:Obligations:AL:GB:A1  -22500.00 GBP" in content
    assert "2026-05-01 balance Assets:Cash:GB  -20000.00 GBP" in content
    checked = subprocess.run([_bean_check(), str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_bean_check_catches_a_wrong_assertion(books, runner, tmp_path):
    """The export is only worth something if bean-check really checks it."""
    service.post_entry(books, accrual("20000.00", date(2026, 3, 4)))
    service.close_period(books, "2026-03")
    books.commit()
    out = tmp_path / "ledger.beancount"
    runner.invoke(args=["journal", "export", "-o", str(out)])
    out.write_text(out.read_text().replace("-20000.00 GBP\n", "-19999.00 GBP\n"))
    assert subprocess.run([_bean_check(), str(out)], capture_output=True).returncode != 0


def _bean_check() -> str:
    local = Path(sys.executable).parent / "bean-check"
    return str(local) if local.exists() else shutil.which("bean-check")
