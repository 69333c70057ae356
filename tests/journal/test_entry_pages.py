"""The entries list narrowed to a partner's accounts, or to one account, read from those accounts' postings
(`journal.queries._entry_query_by_postings`: a LATERAL per account on PostgreSQL, a horizon on SQLite): over random
journals, every page size and every cursor gives the entries the partner (or the account) has, each once, in id
order."""

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, Line
from ledger.money import Money

ACCOUNTS = [AccountKey("returns_costs", "GBP", "GB", "AL", 1), AccountKey("obligations", "GBP", "AL", "GB", 1),
            AccountKey("returns_costs", "GBP", "GB", "RW", 2), AccountKey("obligations", "GBP", "RW", "GB", 2),
            AccountKey("claims_receivable", "GBP", "DE", "FR"), AccountKey("bank_charges", "GBP", "GB")]
START = date(2026, 1, 1)


@st.composite
def entries(draw):
    """Two to four lines that balance; the first account may take two of them (an entry posting twice to one
    account counts once on its page)."""
    first, second = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=2, max_size=2, unique=True))
    lines = [Line(first, Money.of("10.00", "GBP")), Line(second, Money.of("-10.00", "GBP"))]
    if draw(st.booleans()):
        lines += [Line(first, Money.of("2.50", "GBP")), Line(second, Money.of("-2.50", "GBP"))]
    return EntryDraft(START + timedelta(days=draw(st.integers(0, 80))), tuple(lines), "pages", "x")


def _pages(api, token: str, query: str, limit: int) -> list[int]:
    ids, cursor = [], None
    while True:
        page = api.get(f"/api/v1/journal/entries?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else ""),
                       token=token).get_json()
        assert len(page["items"]) <= limit
        ids += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drafts=st.lists(entries(), min_size=0, max_size=14), limit=st.sampled_from([1, 2, 3, 100]))
def test_a_narrowed_page_holds_the_entries_of_its_accounts(api, officer, parties, session, drafts, limit):
    nested = session.begin_nested()
    try:
        ids = service.post_entries(session, drafts) if drafts else []
        session.flush()
        posted = list(zip(ids, drafts))

        def having(touches) -> list[int]:
            return [i for i, draft in posted if any(touches(line.account, draft) for line in draft.lines)]

        for code in ("GB", "AL", "RW", "DE", "FR"):
            assert _pages(api, parties[code], "", limit) == having(
                lambda key, _, code=code: code in (key.party, key.counterparty))
            assert _pages(api, parties[code], "&period=2026-02", limit) == having(
                lambda key, draft, code=code: code in (key.party, key.counterparty) and draft.effective_date.month == 2)
        for key in ACCOUNTS:
            assert _pages(api, officer, f"&account={key.code}", limit) == having(lambda k, _, key=key: k == key)
        # one account, as a partner that sees it
        key = ACCOUNTS[0]
        assert _pages(api, parties["AL"], f"&account={key.code}&period=2026-01", limit) == having(
            lambda k, draft: k == key and draft.effective_date.month == 1)
    finally:
        nested.rollback()
