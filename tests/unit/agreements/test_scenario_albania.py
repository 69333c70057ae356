"""An Albania-like agreement: at most 3,000 people at a time, an advance on entry into force, quarterly
payments into a special account, and termination with six months' notice."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ledger.agreements.rules.obligations import ReturneeFacts, accrue, price_obligations
from ledger.agreements.rules.terms import (
    AdmissionError,
    AgreementFacts,
    AgreementVersion,
    Terms,
    TermsError,
    admission_counts,
    check_admission,
    check_termination,
)
from ledger.money import Money

from .helpers import sum_of

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "agreements" / "albania_like.json").read_text()
)
AGREEMENT = AgreementFacts(
    2, "EUR", date.fromisoformat(FIXTURE["effective_from"]), date.fromisoformat(FIXTURE["effective_to"])
)
QUARTERS = [date(year, month, 1) for year in range(2024, 2029) for month in (3, 6, 9, 12)][1:]  # Jun 2024 - Dec 2028
TERMS = Terms.from_wire(
    {
        **FIXTURE["terms"],
        "instalments": [
            {
                "due_on": q.isoformat(),
                "amount": FIXTURE["quarterly_special_account_payment"],
                "label": "special account",
            }
            for q in QUARTERS
        ],
    },
    "EUR",
)
VERSIONS = [AgreementVersion(AGREEMENT.effective_from, TERMS)]


def eur(text: str) -> Money:
    return Money.of(text, "EUR")


def admit_all(transfers: list[tuple[date, date | None]], on: date) -> None:
    in_year, present = admission_counts(transfers, on)
    check_admission(AGREEMENT, VERSIONS, on, in_year, present)


@pytest.fixture(scope="module")
def full_centre() -> list[tuple[date, date | None]]:
    """3,000 people transferred over 2024-2025, none departed; one of them leaves on 1 March 2026."""
    transfers: list[tuple[date, date | None]] = []
    day = date(2024, 3, 1)
    for i in range(3000):
        transferred_on = date.fromordinal(day.toordinal() + i // 5)
        transfers.append((transferred_on, date(2026, 3, 1) if i == 0 else None))
    return transfers


def test_the_3001st_person_at_a_time_is_refused(full_centre):
    with pytest.raises(AdmissionError) as err:
        admit_all(full_centre, date(2026, 2, 27))
    assert err.value.code == "quota_exceeded"


def test_a_departure_frees_a_place(full_centre):
    admit_all(full_centre, date(2026, 3, 1))


def test_capacity_is_counted_by_admission_as_it_happens():
    transfers: list[tuple[date, date | None]] = []
    refused = 0
    for i in range(3005):
        day = date.fromordinal(date(2024, 3, 1).toordinal() + i // 10)
        try:
            admit_all(transfers, day)
        except AdmissionError as err:
            assert err.code == "quota_exceeded"
            refused += 1
        else:
            transfers.append((day, None))
    assert (len(transfers), refused) == (3000, 5)


def test_the_advance_is_due_on_entry_into_force_and_quarterly_payments_on_their_dates():
    drafts = accrue([], AGREEMENT, VERSIONS, [], "2024-03")
    assert [(d.key, d.due_on, str(d.amount), d.amount.currency) for d in drafts] == [
        ("advance", date(2024, 3, 1), "16500000.00", "EUR")
    ]
    all_payments = price_obligations(AGREEMENT, VERSIONS, [], AGREEMENT.effective_to)
    # advance 16,500,000.00 + 19 quarters x 8,333,333.33 (= 158,333,333.27) = 174,833,333.27
    assert (len(all_payments), sum_of(all_payments, "EUR")) == (20, eur("174833333.27"))


def test_termination_after_six_months_notice_stops_payments_and_support():
    notified = date(2026, 8, 31)
    with pytest.raises(TermsError) as err:
        check_termination(AGREEMENT, VERSIONS, date(2027, 1, 31), notified)
    assert err.value.code == "notice_too_short"
    check_termination(AGREEMENT, VERSIONS, date(2027, 2, 28), notified)
    terminated = replace(AGREEMENT, terminated_on=date(2027, 2, 28))
    stays = [ReturneeFacts(1, date(2026, 12, 1), date(2026, 12, 2))]
    drafts = price_obligations(terminated, VERSIONS, stays, AGREEMENT.effective_to)
    instalments = [d for d in drafts if d.kind == "instalment"]
    support = [d for d in drafts if d.kind == "monthly_support"]
    # quarters Jun 2024 - Dec 2026: 11 x 8,333,333.33; support Dec 2026 - Feb 2027: 3 x 1,333.33
    assert (len(instalments), sum_of(instalments, "EUR")) == (11, eur("91666666.63"))
    assert [d.period for d in support] == ["2026-12", "2027-01", "2027-02"]
    assert sum_of(support, "EUR") == eur("3999.99")
    with pytest.raises(AdmissionError) as err:
        check_admission(terminated, VERSIONS, date(2027, 3, 1), 0, 0)
    assert err.value.code == "outside_term"
