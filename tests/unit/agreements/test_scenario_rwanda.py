"""A Rwanda-like agreement month by month: fund instalments, a 300-person milestone, per-person fees,
capped support stopped by departures, an advance offset against invoices, and two back-dated amendments.

Every amount is worked out by hand in the comments and checked to the penny.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ledger.agreements.rules.obligations import (
    ObligationDraft,
    ReturneeFacts,
    accrue,
    advance_offset_obligation,
    advance_remaining,
    price_obligations,
)
from ledger.agreements.rules.terms import AgreementFacts, AgreementVersion, Terms
from ledger.money import Money

from .helpers import sum_of

FIXTURE = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "agreements" / "rwanda_like.json").read_text())
AGREEMENT = AgreementFacts(
    1, FIXTURE["currency"], date.fromisoformat(FIXTURE["effective_from"]), date.fromisoformat(FIXTURE["effective_to"])
)
V1 = AgreementVersion(AGREEMENT.effective_from, Terms.from_wire(FIXTURE["terms"], "GBP"), 1)


def amended(previous: AgreementVersion, name: str, number: int) -> AgreementVersion:
    """An amendment restates the full terms: the previous ones with the amendment's changes."""
    amendment = FIXTURE[name]
    wire = {**previous.terms.to_wire(), **amendment["changes"]}
    return AgreementVersion(date.fromisoformat(amendment["effective_from"]), Terms.from_wire(wire, "GBP"), number)


V2 = amended(V1, "amendment_backdated_to_april", 2)
V3 = amended(V2, "amendment_backdated_to_may", 3)


def gbp(text: str) -> Money:
    return Money.of(text, "GBP")


def cohort(ids: range, transferred: date, accepted: date) -> list[ReturneeFacts]:
    return [ReturneeFacts(i, transferred, accepted) for i in ids]


# 100 accepted on 3 March, 150 on 10 April, 70 on 15 May: the 300th (id 300) is accepted on 15 May.
# Ids 1-10 depart on 20 April; id 11 departs on 31 March.
RETURNEES = [
    *cohort(range(1, 101), date(2026, 3, 2), date(2026, 3, 3)),
    *cohort(range(101, 251), date(2026, 4, 9), date(2026, 4, 10)),
    *cohort(range(251, 321), date(2026, 5, 14), date(2026, 5, 15)),
]
RETURNEES = [
    replace(r, departed_on=date(2026, 4, 20))
    if r.id <= 10
    else replace(r, departed_on=date(2026, 3, 31))
    if r.id == 11
    else r
    for r in RETURNEES
]
# Learnt in July: ids 12-21 left on 31 May.
LATE_DEPARTURES = [replace(r, departed_on=date(2026, 5, 31)) if 12 <= r.id <= 21 else r for r in RETURNEES]


def by_kind(drafts: list[ObligationDraft]) -> dict[str, str]:
    kinds: dict[str, Money] = {}
    for d in drafts:
        kinds[d.kind] = kinds.get(d.kind, Money.zero("GBP")) + d.amount
    return {k: str(v) for k, v in sorted(kinds.items())}


@pytest.fixture(scope="module")
def ledger_history() -> dict[str, list[ObligationDraft]]:
    """What is posted each month: February to May under version 1, June after the April amendment,
    July after the late departures and the May amendment."""
    posted: list[ObligationDraft] = []
    history = {}
    for period, versions, facts in [
        ("2026-02", [V1], RETURNEES),
        ("2026-03", [V1], RETURNEES),
        ("2026-04", [V1], RETURNEES),
        ("2026-05", [V1], RETURNEES),
        ("2026-06", [V1, V2], RETURNEES),
        ("2026-07", [V1, V2, V3], LATE_DEPARTURES),
    ]:
        history[period] = accrue(posted, AGREEMENT, versions, facts, period)
        posted += history[period]
    history["all"] = posted
    return history


def test_february_the_advance_and_the_first_fund_instalment(ledger_history):
    assert by_kind(ledger_history["2026-02"]) == {"advance": "20000000.00", "instalment": "140000000.00"}


def test_march_fees_and_first_month_of_support(ledger_history):
    # 100 x 20,000.00 and 100 x 2,514.56
    assert by_kind(ledger_history["2026-03"]) == {"monthly_support": "251456.00", "per_returnee_fee": "2000000.00"}


def test_april_support_includes_departure_month_but_not_after(ledger_history):
    # support: 99 of March (id 11 left 31 March) + 150 new = 249 x 2,514.56 = 626,125.44
    assert by_kind(ledger_history["2026-04"]) == {
        "instalment": "20000000.00",
        "monthly_support": "626125.44",
        "per_returnee_fee": "3000000.00",
    }
    keys = {d.key for d in ledger_history["2026-04"]}
    assert "support:r10:2026-04" in keys and "support:r11:2026-04" not in keys


def test_may_the_300th_acceptance_fires_the_milestone_once(ledger_history):
    # support: 89 + 150 + 70 = 309 x 2,514.56 = 776,999.04
    may = ledger_history["2026-05"]
    assert by_kind(may) == {
        "milestone": "120000000.00",
        "monthly_support": "776999.04",
        "per_returnee_fee": "1400000.00",
    }
    [milestone] = [d for d in may if d.kind == "milestone"]
    assert (milestone.key, milestone.due_on) == ("milestone:300", date(2026, 5, 15))
    assert sum_of(may) == gbp("122176999.04")


def test_june_the_back_dated_amendment_reprices_april_and_may_by_adjustments(ledger_history):
    june = ledger_history["2026-06"]
    adjustments = [d for d in june if d.kind == "adjustment"]
    # fees of the 220 accepted since 1 April: +1,000.00 each = 220,000.00
    # 249 + 309 = 558 support months since 1 April: +85.44 each = 47,675.52
    fee_adjustments = [a for a in adjustments if a.adjusts.startswith("fee:")]
    support_adjustments = [a for a in adjustments if a.adjusts.startswith("support:")]
    assert (len(fee_adjustments), str(sum_of(fee_adjustments))) == (220, "220000.00")
    assert (len(support_adjustments), str(sum_of(support_adjustments))) == (558, "47675.52")
    assert len(adjustments) == 778
    assert all(a.due_on == date(2026, 6, 1) and a.period == "2026-06" and a.version == 2 for a in adjustments)
    # June's own support, at the amended rate: 309 x 2,600.00
    assert by_kind([d for d in june if d.kind != "adjustment"]) == {"monthly_support": "803400.00"}
    assert sum_of(june) == gbp("1071075.52")


def test_the_originals_are_never_edited(ledger_history):
    march_fee = next(d for d in ledger_history["all"] if d.key == "fee:r101")
    assert (march_fee.amount, march_fee.version) == (gbp("20000.00"), 1)
    assert len({d.key for d in ledger_history["all"]}) == len(ledger_history["all"])


def test_july_late_departures_and_the_milestone_amendment(ledger_history):
    july = ledger_history["2026-07"]
    adjustments = [d for d in july if d.kind == "adjustment"]
    assert {a.adjusts: str(a.amount) for a in adjustments if a.adjusts.startswith("milestone")} == {
        "milestone:300": "-20000000.00"
    }
    # 10 June support months reversed at 2,600.00
    departures = [a for a in adjustments if a.adjusts.startswith("support:")]
    assert {a.adjusts for a in departures} == {f"support:r{i}:2026-06" for i in range(12, 22)}
    assert str(sum_of(departures)) == "-26000.00"
    # July support: 309 - 10 = 299 x 2,600.00 = 777,400.00
    assert by_kind([d for d in july if d.kind != "adjustment"]) == {"monthly_support": "777400.00"}
    assert sum_of(july) == gbp("-19248600.00")


def test_accruing_july_again_posts_nothing(ledger_history):
    assert accrue(ledger_history["all"], AGREEMENT, [V1, V2, V3], LATE_DEPARTURES, "2026-07") == []


def test_what_was_posted_adds_up_to_pricing_everything_with_the_latest_terms(ledger_history):
    now = price_obligations(AGREEMENT, [V1, V2, V3], LATE_DEPARTURES, date(2026, 7, 31))
    assert sum_of(ledger_history["all"]) == sum_of(now)
    # 160,000,000.00 + 2,251,456.00 + 23,626,125.44 + 122,176,999.04 + 1,071,075.52 - 19,248,600.00
    assert sum_of(now) == gbp("289877056.00")


def test_support_never_exceeds_the_cap_of_150873_60_per_person():
    stays = [ReturneeFacts(1, date(2026, 3, 2), date(2026, 3, 3))]
    extended = replace(AGREEMENT, effective_to=date(2032, 1, 31))
    support = [d for d in price_obligations(extended, [V1], stays, date(2032, 1, 31)) if d.kind == "monthly_support"]
    assert (len(support), sum_of(support), support[-1].period) == (60, gbp("150873.60"), "2031-02")
    # under the real term (to 31 January 2031) only March 2026 - January 2031 = 59 months fall in it
    support = [d for d in price_obligations(AGREEMENT, [V1], stays, date(2032, 1, 31)) if d.kind == "monthly_support"]
    assert (len(support), sum_of(support)) == (59, gbp("148359.04"))


def test_the_advance_is_offset_against_later_invoices_until_used_up(ledger_history):
    obligations = list(ledger_history["2026-02"])
    # invoices for March, April and May fees and support, then a large one that exhausts the advance
    for number, (total, approved_on) in enumerate(
        [
            ("2251456.00", date(2026, 4, 5)),
            ("3626125.44", date(2026, 5, 5)),
            ("2176999.04", date(2026, 6, 5)),
            ("12000000.00", date(2026, 7, 5)),
        ],
        start=1,
    ):
        remaining = advance_remaining(obligations, "GBP")
        offset = advance_offset_obligation(number, gbp(total), remaining, approved_on, approved_on.strftime("%Y-%m"))
        obligations.append(offset)
    assert [str(o.amount) for o in obligations[2:]] == ["-2251456.00", "-3626125.44", "-2176999.04", "-11945419.52"]
    assert advance_remaining(obligations, "GBP").is_zero()
    assert (
        advance_offset_obligation(5, gbp("1.00"), advance_remaining(obligations, "GBP"), date(2026, 8, 1), "2026-08")
        is None
    )
