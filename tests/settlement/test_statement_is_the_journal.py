"""The signed statement's closing is the journal's balance of the agreement's liability accounts, and every
period opens where the previous one closed: through the API (overrides, credit notes) and as a property
of the statement rules over every source type."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ledger.journal.models import JournalEntry
from ledger.settlement import rules
from ledger.settlement.rules import Movement
from tests.api.invoices_helpers import I, json_invoice, march_lines, post_json, post_xml, setup_agreement, ubl

S = "/api/v1/settlements"
LIABILITIES = ("obligations", "invoices_payable")


def _next(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def _line(api, token, period, agreement_id) -> dict:
    response = api.get(f"{S}/{period}?agreement={agreement_id}", token=token)
    assert response.status_code == 200, response.get_json()
    lines = response.get_json()["statement"]["agreements"]
    assert [line["agreement_id"] for line in lines] == [agreement_id]
    return lines[0]


def _owed_in_accounts(api, token, period, agreement_id) -> Decimal:
    """What /accounts says the payer owes under the agreement at `period`'s end (liabilities are credits)."""
    response = api.get(f"/api/v1/accounts?period={period}&agreement_id={agreement_id}&limit=100", token=token)
    assert response.status_code == 200, response.get_json()
    return -sum((Decimal(a["balance"]) for a in response.get_json()["items"] if a["purpose"] in LIABILITIES),
                Decimal(0))


def _assert_statement_is_the_journal(api, token, agreement_id, through: str) -> None:
    """From the agreement's first month to the month after `through`: each closing is the journal's balance,
    each opening the previous closing, and opening + accrued + adjustments − paid = closing."""
    period, previous = "2026-02", None
    while period <= _next(through):
        line = _line(api, token, period, agreement_id)
        closing = Decimal(line["closing"])
        assert closing == _owed_in_accounts(api, token, period, agreement_id), (period, line)
        assert (Decimal(line["opening"]) + Decimal(line["accrued"]) + Decimal(line["adjustments"])
                - Decimal(line["paid"])) == closing, (period, line)
        if previous is not None:
            assert Decimal(line["opening"]) == previous, (period, line)
        period, previous = _next(period), closing


def _approval_period(session, invoice: dict) -> str:
    return session.execute(select(JournalEntry.period).where(JournalEntry.source_type == "invoice_approval",
                                                             JournalEntry.source_id == str(invoice["id"]))).scalar_one()


def test_an_approval_over_an_override_is_in_the_closing(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = march_lines(ag, 1)
    lines[0]["amount"] = "35000.00"  # 15,000.00 more than accrued, approved over the finding
    invoice = post_json(api, json_invoice(ag, lines=lines), parties["RW"]).get_json()
    approved = api.post(f"{I}/{invoice['id']}/approve", json={"overrides": [
        {"line": "1", "reason": "the fee rose by agreement letter"}]}, token=officer)
    assert approved.status_code == 200, approved.get_json()
    period = _approval_period(session, approved.get_json())
    line = _line(api, officer, period, ag["id"])
    assert Decimal(line["adjustments"]) == Decimal("15000.00")
    assert Decimal(line["approved"]) == Decimal("37500.00")
    _assert_statement_is_the_journal(api, officer, ag["id"], period)


def test_a_credit_note_is_in_the_closing(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_xml(api, ubl("RW-2026-03", ag["reference"], march_lines(ag)), parties["RW"]).get_json()
    assert api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer).status_code == 200
    note = post_xml(api, ubl("RW-2026-03-C1", ag["reference"], march_lines(ag, 1)[:1], credit_note=True,
                             preceding="RW-2026-03"), parties["RW"]).get_json()
    approved = api.post(f"{I}/{note['id']}/approve", json={}, token=officer)
    assert approved.status_code == 200, approved.get_json()
    period = _approval_period(session, approved.get_json())
    line = _line(api, officer, period, ag["id"])
    assert Decimal(line["adjustments"]) == Decimal("-20000.00")  # the fee credited is owed no more
    _assert_statement_is_the_journal(api, officer, ag["id"], period)


# ---- the rules, over every source type -------------------------------------------------------------

SOURCES = ("accrual", "adjustment", "invoice_approval", "advance_offset", "reconciliation", "cost_claim",
           "cost_claim_payment", "reversal", "write_off", "something_new")
EXPECTED_ROW = {"accrual": "accrued", "adjustment": "adjustments", "invoice_approval": "adjustments"}


def _balance(movements, upto_period: bool) -> Decimal:
    return -sum((m.before + (m.during if upto_period else 0) for m in movements), Decimal(0))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("purpose", LIABILITIES)
@pytest.mark.parametrize("amount", ["-1234.56", "789.01"])
def test_every_source_type_moves_the_closing_by_what_it_posted(source, purpose, amount):
    """An override (Cr invoices_payable beyond the obligations), a credit note (Dr invoices_payable), an
    allowance, a write-off, a payment, a reversal: whatever the entry, its postings move the closing."""
    posted = Decimal(amount)
    movements = [Movement(1, "GBP", "accrual", "obligations", Decimal("-40000.00"), Decimal(0)),
                 Movement(1, "GBP", source, purpose, Decimal(0), posted)]
    line = rules.agreement_lines(movements)[1]
    assert Decimal(line["opening"]) == Decimal("40000.00")
    assert Decimal(line["closing"]) == _balance(movements, True) == Decimal("40000.00") - posted
    row = EXPECTED_ROW.get(source, "paid")
    assert Decimal(line[row]) == (posted if row == "paid" else -posted)


_amounts = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2)
_postings = st.lists(st.tuples(st.integers(1, 3), st.sampled_from(SOURCES), st.sampled_from(LIABILITIES),
                               st.integers(0, 3), _amounts), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_postings)
def test_closing_is_the_journal_and_each_opening_the_previous_closing(postings):
    """Postings on three agreements over four periods: the statement of each period closes at the journal's
    balance at its end, and the next opens there."""
    periods = ["2026-01", "2026-02", "2026-03", "2026-04"]

    def movements(period: str) -> list[Movement]:
        sums: dict[tuple, list[Decimal]] = {}
        for agreement, source, purpose, month, amount in postings:
            booked = periods[month]
            if booked > period:
                continue
            acc = sums.setdefault((agreement, source, purpose), [Decimal(0), Decimal(0)])
            acc[0 if booked < period else 1] += amount
        return [Movement(a, "GBP", s, p, before, during) for (a, s, p), (before, during) in sums.items()]

    previous: dict[int, Decimal] = {}
    for period in periods:
        found = movements(period)
        lines = rules.agreement_lines(found)
        for agreement, line in lines.items():
            mine = [m for m in found if m.agreement_id == agreement]
            assert Decimal(line["closing"]) == _balance(mine, True)
            assert Decimal(line["opening"]) == _balance(mine, False) == previous.get(agreement, Decimal(0))
            assert (Decimal(line["opening"]) + Decimal(line["accrued"]) + Decimal(line["adjustments"])
                    - Decimal(line["paid"])) == Decimal(line["closing"])
            previous[agreement] = Decimal(line["closing"])


def test_a_reversal_moves_the_row_of_the_entry_it_reverses(app, parties, session):
    """Reversing an accrual takes it off `accrued` (it was never paid); the closing stays the journal's."""
    from datetime import date

    from ledger.journal import service as journal
    from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
    from ledger.money import Money
    from ledger.settlement import service

    money = Money.of("900.00", "GBP")
    lines = (debit(AccountKey("returns_costs", "GBP", "GB", "AL", 7), money),
             credit(AccountKey("obligations", "GBP", "AL", "GB", 7), money))
    entry = journal.post_entry(session, EntryDraft(date(2026, 3, 4), lines, "accrual", "t"))
    journal.reverse(session, entry, date(2026, 3, 20))
    line = rules.agreement_lines(service.movements(session, "2026-03"))[7]
    assert (line["accrued"], line["paid"], line["closing"]) == ("0.00", "0.00", "0.00")
