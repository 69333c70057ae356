"""The statement import's summary on the page: a success only when the balances close and something new came
in; a mismatch or an import with nothing new is a warning; an MT940 entry outside the grammar is refused naming
its line and field, with nothing stored."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from ledger.statements.models import Statement, Transfer
from tests.conftest import make_party
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


@pytest.fixture
def account_holder(api, admin):
    """The statements' bank account registered to a party: an import of it is not on an unknown account."""
    make_party(api, admin, "NL", bank_accounts=[{"iban": "NL91ABNA0417164300", "currency": "EUR"}])


def test_an_import_that_closes_and_brings_new_entries_is_a_success(officer_browser, account_holder):
    message = flash_of(import_on_the_page(officer_browser, mt940()))
    assert "flash-success" in message and "3 transfers" in message and "balance check ok" in message


def test_an_import_on_an_account_no_party_holds_is_a_warning(officer_browser):
    page = import_on_the_page(officer_browser, mt940())
    message = flash_of(page)
    assert "flash-warning" in message and "no party holds" in message and "flash-success" not in page
    listed = html(officer_browser.get("/statements?result=warning"))
    assert ">warning<" in listed and "Rows 1–1 of 1" in listed


def test_a_balance_mismatch_is_a_warning_not_a_success(officer_browser, account_holder):
    summary = post_import(officer_browser, mt940(closing="166175,30"))
    page = html(officer_browser.get(summary))
    message = flash_of(page)
    assert "flash-warning" in message and "Warning:" in message and "flash-success" not in page
    assert "balance check mismatch" in message and "does not give the closing balance" in message
    later = html(officer_browser.get(summary))  # the summary itself says so, once the message has been shown
    assert 'class="flash' not in later and "Warning: mismatch" in later


def test_an_import_with_nothing_new_is_a_warning(officer_browser, account_holder):
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


def test_an_import_is_voided_from_its_page_with_a_reason_and_a_second_void_says_who_and_when(officer_browser,
                                                                                            account_holder):
    summary = post_import(officer_browser, mt940())
    page = html(officer_browser.get(summary))
    assert "Void this import" in page
    refused = officer_browser.post(f"{summary}/void", {"reason": " "}, token_from=summary)
    assert refused.status_code == 303 and refused.headers["Location"].endswith("#void")
    assert "say why the import is voided" in flash_of(html(officer_browser.get(summary)))

    voided = officer_browser.post(f"{summary}/void", {"reason": "the bank's test file"}, token_from=summary)
    assert voided.status_code == 303
    page = html(officer_browser.get(voided.headers["Location"]))
    assert "flash-success" in flash_of(page) and "is voided" in flash_of(page)
    assert "Voided</strong> by officer@test.example" in page and "the bank&#39;s test file" in page
    assert "Void this import" not in page and ">voided<" in page  # its transfers show as voided

    again = officer_browser.client.post(f"{summary}/void", data={"reason": "double click",
                                                                 "csrf_token": officer_browser.token("/statements")},
                                        headers={"Accept": "text/html"})
    assert again.status_code == 303  # a double submit, or a page left open while another officer voided it
    message = flash_of(html(officer_browser.get(again.headers["Location"])))
    assert "Nothing was changed" in message and "already voided by officer@test.example at 20" in message
    listed = html(officer_browser.get("/statements?result=voided"))
    assert "Rows 1–1 of 1" in listed


def test_the_imports_list_exports_what_it_shows_as_csv(officer_browser, account_holder):
    post_import(officer_browser, mt940())
    post_import(officer_browser, mt940(closing="1,00"))
    page = html(officer_browser.get("/statements?result=warning"))
    assert "export=csv" in page
    response = officer_browser.get("/statements?result=warning&export=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Import,Imported at (UTC),Format") and len(lines) == 2  # the filter applies
    assert "warning" in lines[1]


def test_an_import_with_matches_says_so_before_any_button(demo, officer_browser, session):
    from ledger.reconciliation.models import ReconciliationMatch

    match = session.execute(select(ReconciliationMatch).where(ReconciliationMatch.status.in_(("auto", "confirmed")))
                            .limit(1)).scalar_one()
    statement_id = session.get(Transfer, match.transfer_id).statement_id
    page = html(officer_browser.get(f"/statements/{statement_id}"))
    assert "This import cannot be voided yet" in page and f'href="/reconciliation/matches/{match.id}"' in page
    assert "Void the import</button>" not in page
