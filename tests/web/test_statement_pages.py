"""The statement import's summary on the page: a success only when the balances close and something new came
in; a mismatch or an import with nothing new is a warning; an MT940 entry outside the grammar is refused naming
its line and field, with nothing stored."""

from __future__ import annotations

import io

from sqlalchemy import select

from ledger.statements.models import Statement, Transfer
from tests.web.conftest import html


def mt940(closing: str = "166175,31", second: str = "1000,00") -> bytes:
    return (":20:STMT1\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C240301EUR0,00\n"
            ":61:2403010301C43985,66NTRFNONREF\n:86:first\n"
            f":61:2403020302C{second}NTRFNONREF\n:86:second\n"
            ":61:2403030303C121189,65NTRFNONREF\n:86:third\n"
            f":62F:C240303EUR{closing}\n-\n").encode()


def import_on_the_page(browser, document: bytes) -> str:
    """Post the import form; the page it leads to (the flashed message shows there)."""
    return html(browser.get(post_import(browser, document)))


def post_import(browser, document: bytes) -> str:
    """Post the import form; where it leads."""
    response = browser.client.post("/statements", data={"csrf_token": browser.token("/statements"), "currency": "",
                                                        "file": (io.BytesIO(document), "statement.sta")},
                                   headers={"Accept": "text/html"}, content_type="multipart/form-data")
    assert response.status_code == 303
    return response.headers["Location"]


def flash_of(page: str) -> str:
    start = page.index('<div class="flash')
    return page[start:page.index("</div>", start)]


def test_an_import_that_closes_and_brings_new_entries_is_a_success(officer_browser):
    message = flash_of(import_on_the_page(officer_browser, mt940()))
    assert "flash-success" in message and "3 transfers" in message and "balance check ok" in message


def test_a_balance_mismatch_is_a_warning_not_a_success(officer_browser):
    summary = post_import(officer_browser, mt940(closing="166175,30"))
    page = html(officer_browser.get(summary))
    message = flash_of(page)
    assert "flash-warning" in message and "Warning:" in message and "flash-success" not in page
    assert "balance check mismatch" in message and "does not give the closing balance" in message
    later = html(officer_browser.get(summary))  # the summary itself says so, once the message has been shown
    assert 'class="flash' not in later and "Warning: mismatch" in later


def test_an_import_with_nothing_new_is_a_warning(officer_browser):
    import_on_the_page(officer_browser, mt940())
    page = import_on_the_page(officer_browser, mt940())
    message = flash_of(page)
    assert "flash-warning" in message and "0 transfers, 3 duplicates skipped" in message
    assert "Nothing new" in message and "flash-success" not in page


def test_an_mt940_entry_outside_the_grammar_is_refused_naming_line_and_field(officer_browser, session):
    page = import_on_the_page(officer_browser, mt940(second="1000.00"))
    message = flash_of(page)
    assert "flash-error" in message and "Nothing was changed." in message
    assert "line 7" in message and "amount" in message
    assert session.execute(select(Statement.id)).first() is None
    assert session.execute(select(Transfer.id)).first() is None
