"""Rules are chosen by legal basis: a later basis brings its own rules without changing callers."""

from dataclasses import dataclass
from datetime import date

import pytest

from ledger.money import Money
from ledger.recognition import rules
from ledger.recognition.rules import (
    DIRECTIVE_2001_40,
    Category,
    ClaimLine,
    Ground,
    LineAssessment,
    RecognitionRuleError,
    RuleSet,
    assess_claim,
    claim_timeline,
    legal_bases,
    payment_due_on,
    register_basis,
    rules_for,
    validate_enforcement,
    validate_recognition,
    validate_return_order,
)

LATER = "TEST-RETURN-REGULATION"
VISA = ClaimLine("visa_fee", Money.of("60.00", "EUR"), "EV-1")
ZERO = Money.zero("EUR")


@dataclass(frozen=True)
class HalfFeesRuleSet(RuleSet):
    """An invented later regime: fees reimbursed at half, one-month deadlines, five-year limit."""

    def assess_line(self, index, line, currency, enforced_on, rates):
        assessed = super().assess_line(index, line, currency, enforced_on, rates)
        if assessed.category is Category.VISA_FEE:
            return LineAssessment(index, assessed.category, assessed.evidence_ref, assessed.claimed,
                                  _half(assessed.claimed))
        return assessed


def _half(money: Money) -> Money:
    return Money.rounded(money.amount / 2, money.currency)


@pytest.fixture
def later_basis(monkeypatch):
    ruleset = HalfFeesRuleSet(
        basis=LATER, title="test", max_decision_age_years=5, decision_within_months=1, payment_within_months=1,
        applies_from=date(2027, 6, 12),
    )
    monkeypatch.setitem(rules._RULESETS, LATER, ruleset)
    return ruleset


def test_the_directive_basis_is_registered_with_the_2004_191_numbers():
    ruleset = rules_for(DIRECTIVE_2001_40)
    assert (ruleset.max_decision_age_years, ruleset.late_after_years) == (4, 1)
    assert (ruleset.decision_within_months, ruleset.payment_within_months) == (3, 3)
    assert ruleset.categories == frozenset(Category)
    assert DIRECTIVE_2001_40 in legal_bases()


def test_a_later_basis_is_used_through_the_same_entry_points(later_basis):
    result = assess_claim(LATER, date(2022, 7, 1), date(2027, 7, 1), date(2027, 7, 2), [VISA], ZERO, [])
    assert result.basis == LATER
    assert result.payable == Money.of("30.00", "EUR")
    assert result.decision_due_on == date(2027, 8, 2)
    assert payment_due_on(date(2027, 8, 31), basis=LATER) == date(2027, 9, 30)
    assert claim_timeline(date(2027, 7, 2), basis=LATER).decision_due_on == date(2027, 8, 2)
    # The same decision is too old under 2001/40 (5 years) but not under the later basis.
    with pytest.raises(RecognitionRuleError) as caught:
        assess_claim(DIRECTIVE_2001_40, date(2022, 7, 1), date(2027, 7, 1), date(2027, 7, 2), [VISA], ZERO, [])
    assert caught.value.code == "decision_too_old"


def test_a_basis_refuses_enforcements_outside_the_dates_it_governs(later_basis):
    with pytest.raises(RecognitionRuleError) as caught:
        assess_claim(LATER, date(2027, 1, 1), date(2027, 6, 11), date(2027, 7, 1), [VISA], ZERO, [])
    assert (caught.value.code, caught.value.field) == ("basis_not_applicable", "legal_basis")
    assess_claim(LATER, date(2027, 1, 1), date(2027, 6, 12), date(2027, 7, 1), [VISA], ZERO, [])


def test_a_basis_can_narrow_the_eligible_categories(monkeypatch):
    narrow = RuleSet(basis=LATER, title="test", categories=frozenset({Category.TRANSPORT_AIR}))
    monkeypatch.setitem(rules._RULESETS, LATER, narrow)
    with pytest.raises(RecognitionRuleError) as caught:
        assess_claim(LATER, date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), [VISA], ZERO, [])
    assert (caught.value.code, caught.value.line_index) == ("ineligible_category", 0)


def test_a_registered_basis_cannot_be_silently_replaced():
    with pytest.raises(ValueError):
        register_basis(RuleSet(basis=DIRECTIVE_2001_40, title="impostor", max_decision_age_years=10))
    assert register_basis(rules_for(DIRECTIVE_2001_40)) is rules_for(DIRECTIVE_2001_40)


def test_an_unknown_basis_names_the_known_ones():
    with pytest.raises(RecognitionRuleError) as caught:
        rules_for("1990/00/XX")
    assert caught.value.code == "unknown_legal_basis"
    assert DIRECTIVE_2001_40 in caught.value.message


# --- return orders, recognitions, enforcement ---------------------------------------------------------


def test_a_return_order_needs_a_known_basis_a_ground_and_a_past_decision():
    assert validate_return_order("DE", "public_order", date(2026, 3, 1), date(2026, 3, 1)) is Ground.PUBLIC_ORDER
    cases = [
        (("DE", "public_order", date(2026, 3, 2), date(2026, 3, 1)), {}, "decision_in_future"),
        (("DE", "security", date(2026, 3, 1), date(2026, 3, 1)), {}, "invalid_ground"),
        (("DEU", "public_order", date(2026, 3, 1), date(2026, 3, 1)), {}, "invalid_state"),
        (("DE", "public_order", date(2026, 3, 1), date(2026, 3, 1)), {"basis": "nope"}, "unknown_legal_basis"),
    ]
    for args, kwargs, code in cases:
        with pytest.raises(RecognitionRuleError) as caught:
            validate_return_order(*args, **kwargs)
        assert caught.value.code == code


def test_recognition_is_by_another_state():
    validate_recognition("DE", "AT")
    refused = [("DE", "DE", "same_state"), ("DE", "at", "invalid_state"), ("D1", "AT", "invalid_state")]
    for issuing, enforcing, code in refused:
        with pytest.raises(RecognitionRuleError) as caught:
            validate_recognition(issuing, enforcing)
        assert caught.value.code == code


def test_enforcement_dates():
    validate_enforcement(date(2026, 3, 1), date(2026, 3, 1), None)
    validate_enforcement(date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 5))
    for args, code in [
        ((date(2026, 3, 2), date(2026, 3, 1), None), "enforced_before_decision"),
        ((date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 4)), "notified_before_enforcement"),
    ]:
        with pytest.raises(RecognitionRuleError) as caught:
            validate_enforcement(*args)
        assert caught.value.code == code
