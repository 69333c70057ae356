"""Server-side tables: sorting, filtering and paging happen in the database, driven by the query string."""

import re
from datetime import date

import pytest

from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money


@pytest.fixture
def many_accounts(session, parties):
    """15 agreements, each with a costs account (debit) and an obligations account (credit): 30 accounts."""
    drafts = []
    for agreement in range(1, 16):
        currency = "EUR" if agreement % 3 == 0 else "GBP"
        money = Money.of(f"{agreement * 100}.25", currency)
        drafts.append(EntryDraft(date(2026, 3, agreement), (
            debit(AccountKey("returns_costs", currency, "GB", "AL", agreement), money),
            credit(AccountKey("obligations", currency, "AL", "GB", agreement), money)), "obligation", str(agreement)))
    service.post_entries(session, drafts)
    session.commit()


def _cells(html: str, column: int) -> list[str]:
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    return [re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)[column]).strip() for row in rows]


def test_first_page_and_its_count(officer_browser, many_accounts):
    html = officer_browser.get("/accounts").get_data(as_text=True)
    assert len(_cells(html, 0)) == 25
    assert "Rows 1–25 of 30" in html and "page 1 of 2" in html
    second = officer_browser.get("/accounts?page=2").get_data(as_text=True)
    assert len(_cells(second, 0)) == 5 and "Rows 26–30 of 30" in second
    assert not set(_cells(html, 0)) & set(_cells(second, 0))


def test_sort_by_balance_descending_in_the_database(officer_browser, many_accounts):
    html = officer_browser.get("/accounts?sort=balance&dir=desc&per_page=50").get_data(as_text=True)
    balances = _cells(html, 6)
    assert balances[0] == "1,500.25&nbsp;EUR" and balances[-1] == "−1,500.25&nbsp;EUR"
    assert 'aria-sort="descending"' in html


def test_filters_combine_and_survive_paging_links(officer_browser, many_accounts):
    html = officer_browser.get("/accounts?currency=EUR&purpose=obligations").get_data(as_text=True)
    assert _cells(html, 5) == ["EUR"] * 5 and set(_cells(html, 1)) == {"obligations"}
    sort_link = re.search(r'href="(/accounts\?[^"]*sort=balance[^"]*)"', html).group(1)
    assert "currency=EUR" in sort_link and "purpose=obligations" in sort_link and "dir=desc" in sort_link
    assert 'name="currency" value="EUR"' in html, "the page-size form keeps the filters"


def test_amounts_are_right_aligned_with_their_currency(officer_browser, many_accounts):
    html = officer_browser.get("/accounts?sort=balance&dir=desc").get_data(as_text=True)
    assert '<td class="num">1,500.25&nbsp;EUR</td>' in html


def test_nonsense_arguments_fall_back_to_defaults(officer_browser, many_accounts):
    response = officer_browser.get("/accounts?sort=password_hash&dir=sideways&page=-3&per_page=100000")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Rows 1–25 of 30" in html
    late = officer_browser.get("/accounts?page=99").get_data(as_text=True)
    assert "Rows 26–30 of 30" in late, "a page past the end shows the last page"


def test_journal_filters_by_account_and_dates_are_iso(officer_browser, many_accounts):
    code = AccountKey("obligations", "EUR", "AL", "GB", 3).code
    html = officer_browser.get(f"/journal?account={code}").get_data(as_text=True)
    assert _cells(html, 0) == ["3"] and _cells(html, 1) == ["2026-03-03"]


def test_text_filters_are_literal(officer_browser, many_accounts):
    html = officer_browser.get("/parties?q=%25").get_data(as_text=True)
    assert "No rows" in html, "a % in a filter is a character, not a wildcard"
    assert _cells(officer_browser.get("/parties?q=al").get_data(as_text=True), 0) == ["AL"]
