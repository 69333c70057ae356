"""The beancount export is a file bean-check accepts, and its assertions are the signed statements' figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from beancount import loader
from beancount.core import data

from ledger.journal import service
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money

EXPORT = "/api/v1/journal/export?format=beancount"


def _load(api, token) -> list:
    response = api.get(EXPORT, token=token)
    assert response.status_code == 200
    entries, errors, _options = loader.load_string(response.get_data(as_text=True))
    assert errors == [], [error.message for error in errors]
    return entries


def _claim(currency: str, amount: str, day: date) -> EntryDraft:
    """An EU cost claim FR holds against DE, in `currency`."""
    money = Money.of(amount, currency)
    return EntryDraft(day, (debit(AccountKey("claims_receivable", currency, "FR", "DE"), money),
                            credit(AccountKey("compensation_income", currency, "FR", "DE"), money)),
                      "claim_acceptance", f"{currency}-{amount}")


def test_one_party_pair_in_two_currencies_passes_bean_check(api, auditor, parties, session):
    service.post_entries(session, [_claim("EUR", "1200.00", date(2026, 3, 4)),
                                   _claim("SEK", "5000.00", date(2026, 3, 9)),
                                   _claim("EUR", "300.00", date(2026, 4, 2))])
    service.close_period(session, "2026-03")
    session.commit()
    entries = _load(api, auditor)
    opens = [e for e in entries if isinstance(e, data.Open) and e.account == "Assets:ClaimsReceivable:FR:DE"]
    assert len(opens) == 1 and sorted(opens[0].currencies) == ["EUR", "SEK"]
    asserted = {(e.account, e.amount.currency): e.amount.number for e in entries if isinstance(e, data.Balance)}
    assert asserted[("Assets:ClaimsReceivable:FR:DE", "EUR")] == Decimal("1200.00")
    assert asserted[("Assets:ClaimsReceivable:FR:DE", "SEK")] == Decimal("5000.00")


# ---- a late item booked into the next open period ------------------------------------------------------

def _accrue(amount: str, day: date, period: str | None = None) -> EntryDraft:
    money = Money.of(amount, "GBP")
    return EntryDraft(day, (debit(AccountKey("returns_costs", "GBP", "GB", "AL", 1), money),
                            credit(AccountKey("obligations", "GBP", "AL", "GB", 1), money)),
                      "accrual", f"{day}-{amount}", period=period)


def _approve(amount: str, day: date, period: str | None = None) -> EntryDraft:
    money = Money.of(amount, "GBP")
    return EntryDraft(day, (debit(AccountKey("obligations", "GBP", "AL", "GB", 1), money),
                            credit(AccountKey("invoices_payable", "GBP", "AL", "GB", 1), money)),
                      "invoice_approval", f"{day}-{amount}", period=period)


def _signed_closing(api, officer, period: str) -> Decimal:
    """What the signed statement of `period` says agreement 1 owes its payee at the period's end."""
    view = api.get(f"/api/v1/settlements/{period}", token=officer).get_json()
    assert view["status"] == "closed"
    [line] = [a for a in view["documents"][0]["statement"]["agreements"] if a["agreement_id"] == 1]
    return Decimal(line["closing"])


def _asserted_owed(entries: list, day: date) -> Decimal:
    """The export's assertions on `day` over agreement 1's liability accounts, shown positive as owed."""
    return -sum((e.amount.number for e in entries if isinstance(e, data.Balance) and e.date == day
                 and e.account.startswith("Liabilities:") and e.account.endswith(":AL:GB:A1")), Decimal(0))


def test_a_late_item_booked_into_an_open_month_leaves_the_closed_months_assertions_as_signed(
        api, officer, auditor, parties, session):
    service.post_entries(session, [_accrue("12000.00", date(2026, 3, 4)), _approve("2000.00", date(2026, 3, 20))])
    session.commit()
    assert api.post("/api/v1/settlements/2026-03/close", token=officer).status_code == 200
    # after March closed: a back-dated March item, booked into April as the journal requires
    late = service.first_open_period(session, date(2026, 3, 25))
    assert late == "2026-04"
    service.post_entries(session, [_accrue("35000.00", date(2026, 3, 25), period=late),
                                   _approve("1000.00", date(2026, 3, 28), period=late),
                                   _accrue("500.00", date(2026, 4, 10))])
    session.commit()
    assert api.post("/api/v1/settlements/2026-04/close", token=officer).status_code == 200

    entries = _load(api, auditor)  # bean-check's own derivation agrees with every assertion
    assert _signed_closing(api, officer, "2026-03") == Decimal("12000.00")
    assert _asserted_owed(entries, date(2026, 4, 1)) == Decimal("12000.00")
    assert _asserted_owed(entries, date(2026, 5, 1)) == _signed_closing(api, officer, "2026-04") == Decimal("47500.00")
    late_transactions = [e for e in entries if isinstance(e, data.Transaction) and "effective" in e.meta]
    assert {(e.date, e.meta["effective"]) for e in late_transactions} == {
        (date(2026, 4, 1), date(2026, 3, 25)), (date(2026, 4, 1), date(2026, 3, 28))}
