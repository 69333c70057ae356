"""Line-by-line decisions on EU cost claims and disputes, without HTTP."""

import pytest

from ledger.money import Money
from ledger.recognition.rules import RecognitionRuleError, decisions


def eur(text):
    return Money.of(text, "EUR")


def test_partial_acceptance_pays_the_accepted_lines_less_what_was_recovered():
    decided = decisions.decide_lines([0, 1, 2], True, [{"line": 1, "accepted": False, "reason": "no receipt"}], None)
    accepted = [d.line for d in decided.values() if d.accepted]
    assert accepted == [0, 2]
    # 100 + 40 − 30 = 110.00; recovered more than accepted: nothing payable, never negative
    allowed = {0: eur("100.00"), 1: eur("60.00"), 2: eur("40.00")}
    assert decisions.payable(allowed, accepted, eur("30.00")) == eur("110.00")
    assert decisions.payable(allowed, accepted, eur("500.00")) == eur("0.00")


@pytest.mark.parametrize("accepted, given, code, field", [
    (True, [{"line": 0, "accepted": False}], "refusal_reason_required", "lines.0.reason"),
    (True, [{"line": 0, "accepted": True}, {"line": 0, "accepted": True}], "duplicate_line", "lines.1.line"),
    (False, [{"line": 0, "accepted": True}], "inconsistent_decision", "lines.0.accepted"),
    (True, [{"line": 0, "accepted": False, "reason": "x"}, {"line": 1, "accepted": False, "reason": "x"}],
     "inconsistent_decision", "accepted"),
])
def test_decisions_that_cannot_be(accepted, given, code, field):
    with pytest.raises(RecognitionRuleError) as caught:
        decisions.decide_lines([0, 1], accepted, given, "no" if not accepted else None)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_disputes_and_resolutions_only_accept_more():
    standing = {0: True, 1: False, 2: False}
    assert decisions.disputed_lines(standing, None) == [1, 2]
    with pytest.raises(RecognitionRuleError):
        decisions.disputed_lines(standing, [0])
    assert set(decisions.resolve([1, 2], "upheld", None, None)) == {1, 2}
    assert decisions.resolve([1, 2], "rejected", None, "the refusal stands") == {}
    partial = decisions.resolve([1, 2], "partially_upheld", [{"line": 2, "accepted": True}], None)
    assert list(partial) == [2] and partial[2].accepted
    with pytest.raises(RecognitionRuleError):
        decisions.resolve([1, 2], "partially_upheld", [{"line": 0, "accepted": True}], None)
