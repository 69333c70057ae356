"""Caps on actual costs (terms.cost_reimbursement) and voluntary-departure grants, without HTTP."""

from datetime import date

from ledger.agreements.rules import obligations as rules
from ledger.agreements.rules.reimbursement import Consumption, CostLine, check_caps, headroom
from ledger.agreements.rules.terms import AgreementFacts, AgreementVersion, CostReimbursement, Terms
from ledger.money import Money


def gbp(text: str) -> Money:
    return Money.of(text, "GBP")


CAPS = CostReimbursement(gbp("10000.00"), (("healthcare", gbp("3000.00")),), gbp("8000.00"))


def test_the_smallest_headroom_binds_and_each_line_counts_in_full():
    lines = [CostLine("1", 7, "healthcare", "2026-04", gbp("2000.00")),
             CostLine("2", 7, "healthcare", "2026-04", gbp("1500.00")),   # 1,000.00 of healthcare left
             CostLine("3", 7, "accommodation", "2026-04", gbp("4000.00")),  # 6,500 person, 4,500 year: fine
             CostLine("4", 7, "food", "2026-05", gbp("1000.00")),         # year: 8,000 − 7,500 = 500.00
             CostLine("5", 8, "food", "2027-01", gbp("900.00"))]          # another person: fine
    breaches = check_caps({"2026-04": CAPS, "2026-05": CAPS, "2027-01": CAPS}, Consumption(), lines)
    assert [(b.line, b.cap, b.remaining) for b in breaches] == [("2", "per_category", gbp("1000.00")),
                                                                 ("4", "per_year", gbp("500.00"))]


def test_a_new_year_opens_its_own_yearly_headroom_but_not_the_person_cap():
    consumed = Consumption([CostLine("1", 7, "food", "2026-12", gbp("8000.00"))])
    # 2027's yearly headroom is a whole 8,000.00 again, but the person has 10,000 − 8,000 = 2,000.00 left
    assert headroom(CAPS, consumed, CostLine("2", 7, "food", "2027-01", gbp("1.00"))) == (
        "per_person", gbp("10000.00"), gbp("2000.00"))


def test_headroom_never_goes_below_zero():
    consumed = Consumption([CostLine("1", 7, "healthcare", "2026-04", gbp("3500.00"))])
    assert headroom(CAPS, consumed, CostLine("2", 7, "healthcare", "2026-04", gbp("1.00")))[2] == gbp("0.00")


def test_a_voluntary_departure_pays_the_grant_once_and_stops_support():
    agreement = AgreementFacts(1, "GBP", date(2026, 2, 1))
    terms = Terms.from_wire({"monthly_support": {"amount": "2500.00", "max_months": 12},
                             "voluntary_departure_grant": "10000.00"}, "GBP")
    versions = [AgreementVersion(date(2026, 2, 1), terms)]
    people = [rules.ReturneeFacts(1, date(2026, 3, 2), date(2026, 3, 3), date(2026, 4, 20), "voluntary_departure"),
              rules.ReturneeFacts(2, date(2026, 3, 2), date(2026, 3, 3), date(2026, 4, 20), "returned_onward")]
    drafts = rules.price_obligations(agreement, versions, people, date(2026, 12, 31))
    assert [(d.key, str(d.amount), d.due_on) for d in drafts if d.kind == rules.DEPARTURE_GRANT] == [
        ("grant:r1", "10000.00", date(2026, 4, 20))]
    assert sum(1 for d in drafts if d.kind == rules.MONTHLY_SUPPORT) == 4  # March and April, each person


def test_accepted_interest_is_never_repriced():
    agreement = AgreementFacts(1, "GBP", date(2026, 2, 1))
    versions = [AgreementVersion(date(2026, 2, 1), Terms.from_wire({}, "GBP"))]
    posted = [rules.ObligationDraft("interest:4", rules.LATE_INTEREST, None, date(2026, 6, 1), gbp("147.95"),
                                    "2026-06")]
    assert rules.accrue(posted, agreement, versions, [], "2026-07") == []
