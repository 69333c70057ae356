"""A whole claim from an API-shaped fixture: exactly 4 years old, submitted a day over the year, and a
rate change the day after enforcement (so the older rate applies)."""

import json
from datetime import date
from pathlib import Path

from ledger.money import Money
from ledger.recognition.rules import AllowanceRate, ClaimLine, assess_claim, payment_due_on

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "recognition" / "claim_worked_example.json"


def load_claim():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    currency = data["currency"]

    def money(value):
        return None if value is None else Money.of(value, currency)

    lines = [
        ClaimLine(
            category=line["category"],
            amount=money(line["amount"]),
            evidence_ref=line["evidence_ref"],
            reference_fare=money(line.get("reference_fare")),
            location=line.get("location"),
            days=line.get("days"),
            escorts=line.get("escorts"),
        )
        for line in data["lines"]
    ]
    rates = [
        AllowanceRate(date.fromisoformat(r["effective_from"]), Money.of(r["daily_rate"], r["currency"]))
        for r in data["allowance_rates"]
    ]
    return data, lines, rates, money


def test_the_worked_example_claim():
    data, lines, rates, money = load_claim()
    result = assess_claim(
        data["legal_basis"],
        date.fromisoformat(data["decision_date"]),
        date.fromisoformat(data["enforced_on"]),
        date.fromisoformat(data["submitted_on"]),
        lines,
        money(data["recovered_from_person"]),
        rates,
    )
    expected = data["expected"]
    got_lines = [
        {"claimed": str(a.claimed), "allowed": str(a.allowed), "flags": [f.value for f in a.flags]}
        for a in result.lines
    ]
    assert got_lines == expected["lines"]
    for key in ("claimed", "allowed", "recovered", "payable"):
        assert str(getattr(result, key)) == expected[key], key
    assert result.late is expected["late"]
    assert result.late_after.isoformat() == expected["late_after"]
    assert result.decision_due_on.isoformat() == expected["decision_due_on"]
    for accepted_on, due in expected["payment_due_on_if_accepted_on"].items():
        assert payment_due_on(date.fromisoformat(accepted_on)).isoformat() == due
