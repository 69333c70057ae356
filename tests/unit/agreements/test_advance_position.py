"""Where an advance stands, from the obligations posted: only what was paid can be offset."""

from datetime import date

from ledger.agreements.rules import obligations as rules
from ledger.money import Money


def _posted(key, amount):
    return rules.ObligationDraft(key, "", None, date(2026, 2, 1), Money.of(amount, "GBP"), "2026-02")


def test_an_unpaid_advance_has_nothing_to_offset():
    position = rules.advance_position([_posted("advance", "200000.00")], [], "GBP")
    assert (position.amount, position.paid, position.unpaid, position.outstanding) == (
        Money.of("200000.00", "GBP"), Money.zero("GBP"), Money.of("200000.00", "GBP"), Money.zero("GBP"))
    assert rules.advance_offset(position.outstanding, Money.of("22500.00", "GBP")).is_zero()


def test_a_paid_advance_is_offset_until_used_up_with_its_adjustments():
    posted = [_posted("advance", "200000.00"), _posted("adjustment:advance:1", "50000.00"),
              _posted("advance_offset:invoice:7", "-22500.00"), _posted("instalment:2026-02-01:0", "5000.00")]
    position = rules.advance_position(posted, ["advance", "adjustment:advance:1"], "GBP")
    assert position.amount == position.paid == Money.of("250000.00", "GBP")
    assert position.offset == Money.of("22500.00", "GBP")
    assert position.outstanding == Money.of("227500.00", "GBP")
    only_advance_paid = rules.advance_position(posted, ["advance"], "GBP")
    assert only_advance_paid.unpaid == Money.of("50000.00", "GBP")
    assert only_advance_paid.outstanding == Money.of("177500.00", "GBP")


def test_the_advance_falls_due_when_its_terms_say():
    from datetime import date as day

    import pytest

    from ledger.agreements.rules.terms import AgreementFacts, Terms, TermsError

    from .helpers import version

    agreement = AgreementFacts(7, "GBP", day(2026, 2, 1), day(2031, 1, 31))
    terms = {"amount": "200000.00", "due_within_days": 90}  # Italy–Albania: within 90 days of entry into force
    [advance] = rules.price_obligations(agreement, [version(day(2026, 2, 1), advance=terms)], [], day(2026, 12, 31))
    assert (advance.kind, advance.due_on, advance.period) == ("advance", day(2026, 5, 2), "2026-05")
    assert rules.price_obligations(agreement, [version(day(2026, 2, 1), advance=terms)], [], day(2026, 4, 30)) == []
    assert Terms.from_wire({"advance": terms}, "GBP").to_wire() == {"advance": terms}
    with pytest.raises(TermsError) as refused:
        Terms.from_wire({"advance": {"amount": "1.00", "due_within_days": 0}}, "GBP")
    assert refused.value.field == "terms.advance.due_within_days"
