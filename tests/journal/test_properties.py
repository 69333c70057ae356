"""Invariants of the books over random histories of postings, reversals and period closes."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from ledger.errors import Conflict
from ledger.journal import service
from ledger.journal.models import Posting
from ledger.journal.rules import AccountKey, EntryDraft, Line, PeriodClosed
from ledger.money import Money

ACCOUNTS = [AccountKey("returns_costs", "GBP", "GB", "AL", 1), AccountKey("obligations", "GBP", "AL", "GB", 1),
            AccountKey("cash", "GBP", "GB"), AccountKey("cash", "EUR", "DE"),
            AccountKey("claims_receivable", "EUR", "DE", "FR"), AccountKey("bank_charges", "JPY", "GB")]
START = date(2026, 1, 1)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)


@st.composite
def entries(draw):
    """2–4 lines in one currency that sum to zero."""
    currency = draw(st.sampled_from(["GBP", "EUR"]))
    pool = [a for a in ACCOUNTS if a.currency == currency]
    values = draw(st.lists(amounts, min_size=1, max_size=3))
    lines = [Line(draw(st.sampled_from(pool)), Money(v, currency)) for v in values]
    lines.append(Line(draw(st.sampled_from(pool)), -Money(sum(values, Decimal(0)), currency)))
    day = START + timedelta(days=draw(st.integers(0, 180)))
    return EntryDraft(day, tuple(lines), "property", "x")


operations = st.lists(st.one_of(
    st.tuples(st.just("post"), entries()),
    st.tuples(st.just("reverse"), st.integers(1, 40)),
    st.tuples(st.just("close"), st.integers(0, 5)),
), min_size=1, max_size=25)


def _month(offset: int) -> str:
    return f"2026-{offset + 1:02d}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_the_books_always_balance(parties, session, ops):
    nested = session.begin_nested()
    expected: dict[str, Decimal] = defaultdict(Decimal)
    lines_by_entry = {}
    try:
        for op, arg in ops:
            if op == "post":
                try:
                    entry_id = service.post_entry(session, arg)
                except PeriodClosed:
                    continue
                lines_by_entry[entry_id] = arg.lines
                for line in arg.lines:
                    expected[line.account.code] += line.amount.amount
            elif op == "reverse" and arg in lines_by_entry:
                before = {line.account.code: expected[line.account.code] for line in lines_by_entry[arg]}
                try:
                    service.reverse(session, arg, START + timedelta(days=200))
                except Conflict:
                    continue
                for line in lines_by_entry[arg]:
                    expected[line.account.code] -= line.amount.amount
                # a reversal restores exactly what the entry changed
                assert all(expected[c] == before[c] - sum(x.amount.amount for x in lines_by_entry[arg]
                                                         if x.account.code == c) for c in before)
            elif op == "close":
                try:
                    service.close_period(session, _month(arg))
                except Conflict:
                    continue
        # per currency, debits equal credits over the whole journal
        per_currency = session.execute(select(Posting.currency, func.sum(Posting.amount))
                                       .group_by(Posting.currency)).all()
        assert all(total == 0 for _, total in per_currency)
        # balances computed by SQL equal the sum of what was posted
        actual = {a.code: b for a, b in service.balances(session)}
        assert {c: v for c, v in actual.items() if v} == {c: v for c, v in expected.items() if v}
        assert service.verify(session) is None
    finally:
        nested.rollback()
        session.expire_all()
        session.info.clear()


def test_the_database_refuses_rewrites_of_history(parties, session):
    from tests.journal.test_journal import accrual

    service.post_entry(session, accrual("1.00", START))
    for statement in ("UPDATE postings SET amount = 2", "DELETE FROM journal_entries"):
        try:
            with session.begin_nested():
                session.execute(text(statement))
        except Exception as error:
            assert "immutable" in str(error)
        else:
            raise AssertionError(f"{statement} was allowed")
