"""Deciding an EU cost claim line by line, and disputes about it: pure rules over plain values.

Decision 2004/191/EC, Art. 3(5): the issuing state accepts or refuses in writing, with reasons for a refusal. A
claim may be accepted in part: each line (by its 0-based index) is accepted or refused, a refused line with its
reason. Lines a decision does not list follow the whole-claim ``accepted``. What is payable is the allowed amount
of the accepted lines less what was recovered from the person (recital 2), never below zero.

A dispute (by the enforcing state) names refused lines (all of them when none are named); its resolution (by the
issuing state) is ``upheld`` (every disputed line accepted), ``partially_upheld`` (the lines it lists accepted,
each other disputed line keeps its refusal) or ``rejected`` (the refusals stand, with a reason). A resolution
only ever accepts more: a line accepted stays accepted, so the payable only grows and the journal only adds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ledger.money import Money
from ledger.recognition.rules import RecognitionRuleError

OUTCOMES = ("upheld", "partially_upheld", "rejected")


@dataclass(frozen=True, slots=True)
class LineDecision:
    line: int
    accepted: bool
    reason: str | None = None


def _reason(item: Mapping) -> str | None:
    return (item.get("reason") or "").strip() or None


def decide_lines(lines: Sequence[int], accepted: bool, given: Sequence[Mapping] | None,
                 reason: str | None) -> dict[int, LineDecision]:
    """Every line's decision. Codes: unknown_line, duplicate_line, refusal_reason_required, inconsistent_decision
    (fields ``lines.<i>.…``, ``accepted``)."""
    known = set(lines)
    decided: dict[int, LineDecision] = {}
    for index, item in enumerate(given or ()):
        line = item["line"]
        if line not in known:
            raise RecognitionRuleError("unknown_line", f"the claim has no line {line}", field=f"lines.{index}.line")
        if line in decided:
            raise RecognitionRuleError("duplicate_line", f"line {line} is decided twice", field=f"lines.{index}.line")
        if item["accepted"] and not accepted:
            raise RecognitionRuleError("inconsistent_decision", "a refused claim accepts no line",
                                       field=f"lines.{index}.accepted")
        why = _reason(item)
        if not item["accepted"] and why is None:
            raise RecognitionRuleError("refusal_reason_required", f"line {line}: a refused line gives its reason",
                                       field=f"lines.{index}.reason")
        decided[line] = LineDecision(line, item["accepted"], why)
    for line in lines:
        if line not in decided:
            decided[line] = LineDecision(line, accepted, None if accepted else reason)
    if accepted and not any(d.accepted for d in decided.values()):
        raise RecognitionRuleError("inconsistent_decision", "an accepted claim accepts at least one line; refuse the "
                                                            "claim instead", field="accepted")
    return decided


def payable(allowed: Mapping[int, Money], accepted: Iterable[int], recovered: Money) -> Money:
    """Allowed amount of the accepted lines less what was recovered from the person, never below zero."""
    total = Money(sum((allowed[line].amount for line in accepted), Decimal(0)), recovered.currency)
    return max(total - recovered, Money.zero(recovered.currency))


def disputed_lines(standing: Mapping[int, bool], named: Sequence[int] | None) -> list[int]:
    """The lines a dispute is about: those named (each must be refused), else every refused line. Codes:
    unknown_line, not_refused, nothing_to_dispute."""
    refused = sorted(line for line, ok in standing.items() if not ok)
    if not named:
        if not refused:
            raise RecognitionRuleError("nothing_to_dispute", "every line was accepted: there is nothing to dispute",
                                       field="lines")
        return refused
    result = []
    for index, line in enumerate(named):
        if line not in standing:
            raise RecognitionRuleError("unknown_line", f"the claim has no line {line}", field=f"lines.{index}")
        if standing[line]:
            raise RecognitionRuleError("not_refused", f"line {line} was accepted: only refused lines are disputed",
                                       field=f"lines.{index}")
        if line not in result:
            result.append(line)
    return sorted(result)


def resolve(disputed: Sequence[int], outcome: str, given: Sequence[Mapping] | None,
            reason: str | None) -> dict[int, LineDecision]:
    """The lines a resolution changes (only to accepted). Codes: unknown_outcome, not_disputed,
    resolution_reason_required, lines_required."""
    if outcome not in OUTCOMES:
        raise RecognitionRuleError("unknown_outcome", f"outcome is one of {', '.join(OUTCOMES)}", field="outcome")
    if outcome == "upheld":
        return {line: LineDecision(line, True, reason) for line in disputed}
    if outcome == "rejected":
        if not reason:
            raise RecognitionRuleError("resolution_reason_required", "rejecting a dispute gives reasons",
                                       field="reason")
        return {}
    if not given:
        raise RecognitionRuleError("lines_required", "a partially upheld dispute lists the lines it accepts",
                                   field="lines")
    changed: dict[int, LineDecision] = {}
    for index, item in enumerate(given):
        line = item["line"]
        if line not in disputed:
            raise RecognitionRuleError("not_disputed", f"line {line} is not disputed", field=f"lines.{index}.line")
        if item["accepted"]:
            changed[line] = LineDecision(line, True, _reason(item) or reason)
    if not changed:
        raise RecognitionRuleError("lines_required", "a partially upheld dispute accepts at least one line; "
                                                     "reject it otherwise", field="lines")
    return changed


__all__ = ["LineDecision", "OUTCOMES", "decide_lines", "disputed_lines", "payable", "resolve"]
