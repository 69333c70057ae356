"""The pure rules behind the refusals of impossible facts: states bound by 2001/40/EC, capacity over a stay,
exact minor units, spoofing characters, today in the configured time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledger import timeutil
from ledger.agreements.rules.terms import (
    AdmissionError,
    AgreementFacts,
    AgreementVersion,
    Occupancy,
    Terms,
    TermsError,
    capacity_breach,
    check_capacity_of_version,
    check_capacity_over_stay,
)
from ledger.facts import spoofing_problem
from ledger.money import Money, MoneyError
from ledger.recognition.rules.states import bound_on, not_bound_reason

AGREEMENT = AgreementFacts(1, "EUR", date(2026, 1, 1), date(2030, 12, 31))


def capacity(n: int, on: date = date(2026, 1, 1), number: int = 1) -> AgreementVersion:
    return AgreementVersion(on, Terms.from_wire({"capacity": n}, "EUR"), number)


@pytest.mark.parametrize("state, day, bound", [
    ("FR", date(2002, 12, 2), True), ("FR", date(2002, 12, 1), False),
    ("GB", date(2020, 12, 31), True), ("GB", date(2021, 1, 1), False),
    ("HR", date(2013, 6, 30), False), ("HR", date(2013, 7, 1), True),
    ("PL", date(2004, 5, 1), True), ("RO", date(2006, 12, 31), False),
    ("CH", date(2008, 12, 12), True), ("LI", date(2011, 12, 18), False),
    ("NO", date(2024, 1, 1), True), ("IE", date(2024, 1, 1), True),
    ("DK", date(2024, 1, 1), False), ("AL", date(2024, 1, 1), False), ("EL", date(2024, 1, 1), True),
])
def test_the_states_bound_by_the_directive_and_their_dates(state, day, bound):
    assert bound_on(state, day) is bound
    assert (not_bound_reason(state, day) is None) is bound


def test_capacity_is_the_peak_over_the_whole_stay_not_its_first_day():
    occupancy = Occupancy([(date(2026, 3, 10), None), (date(2026, 3, 20), None)])
    assert occupancy.present_on(date(2026, 3, 5)) == 0
    assert capacity_breach(occupancy, [capacity(2)], date(2026, 3, 5), None) == (date(2026, 3, 20), 2)
    with pytest.raises(AdmissionError) as err:
        check_capacity_over_stay(AGREEMENT, [capacity(2)], occupancy, date(2026, 3, 5))
    assert (err.value.code, err.value.field) == ("quota_exceeded", "transferred_on")
    # a stay that ends (departs) before the second arrives fits
    check_capacity_over_stay(AGREEMENT, [capacity(2)], occupancy, date(2026, 3, 5), departed_on=date(2026, 3, 20))
    # a departure frees the place from its day
    left = Occupancy([(date(2026, 3, 10), date(2026, 3, 15)), (date(2026, 3, 20), None)])
    assert capacity_breach(left, [capacity(2)], date(2026, 3, 5), None) is None


def test_a_later_lower_capacity_counts_on_its_days():
    occupancy = Occupancy([(date(2026, 3, 10), None)])
    versions = [capacity(2), capacity(1, date(2026, 6, 1), 2)]
    assert capacity_breach(occupancy, versions, date(2026, 3, 5), None) == (date(2026, 6, 1), 1)
    assert capacity_breach(occupancy, versions, date(2026, 3, 5), date(2026, 5, 31)) is None


def test_an_amendment_cannot_lower_capacity_below_those_present_while_it_is_in_force():
    occupancy = Occupancy([(date(2026, 3, 10), None), (date(2026, 3, 20), date(2026, 7, 1))])
    with pytest.raises(TermsError) as err:
        check_capacity_of_version(AGREEMENT, [capacity(3)], capacity(1, date(2026, 4, 1), 2), occupancy)
    assert (err.value.code, err.value.field) == ("quota_exceeded", "terms.capacity")
    check_capacity_of_version(AGREEMENT, [capacity(3)], capacity(1, date(2026, 7, 1), 2), occupancy)
    # in force only until a later version takes over: the days after are that version's
    later = [capacity(3), capacity(3, date(2026, 4, 1), 2)]
    check_capacity_of_version(AGREEMENT, later, capacity(1, date(2026, 3, 1), 3),
                              Occupancy([(date(2026, 4, 2), None), (date(2026, 4, 3), None)]))


@pytest.mark.parametrize("text, currency", [("20000", "GBP"), ("1500.000", "EUR"), ("25000000.00", "RWF"),
                                            ("1.5", "BHD"), ("0", "EUR")])
def test_amounts_are_written_with_exactly_the_minor_units(text, currency):
    with pytest.raises(MoneyError):
        Money.exact(text, currency)


def test_exact_amounts_parse():
    assert str(Money.exact("20000.00", "GBP")) == "20000.00"
    assert str(Money.exact("1500", "JPY")) == "1500"
    assert str(Money.exact("1.500", "BHD")) == "1.500"


@pytest.mark.parametrize("text", ["INV\u202e1", "INV\u2066-1", "INV\u2069", "INV\x1b[31m", "INV\n1", "INV\t1",
                                  "INV\x7f"])
def test_control_and_bidi_characters_are_named(text):
    assert "U+" in spoofing_problem(text)


def test_plain_references_pass():
    assert spoofing_problem("AL-2026-03 Ελλάδα ✓ مرجع") is None and spoofing_problem(None) is None


def test_today_is_the_configured_time_zones_day(monkeypatch):
    late_evening = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(timeutil, "utcnow", lambda: late_evening)
    monkeypatch.setenv("LEDGER_TIME_ZONE", "Europe/Brussels")
    assert timeutil.today() == date(2026, 12, 7)
    monkeypatch.setenv("LEDGER_TIME_ZONE", "UTC")
    assert timeutil.today() == date(2026, 12, 6)
    with pytest.raises(ValueError):
        timeutil.zone_named("Mars/Olympus")


def test_an_unknown_time_zone_stops_the_service_at_start(tmp_path):
    from ledger.config import ConfigError, load

    with pytest.raises(ConfigError, match="LEDGER_TIME_ZONE"):
        load(str(tmp_path), {"LEDGER_TIME_ZONE": "Mars/Olympus"})
    assert load(str(tmp_path), {})["LEDGER_TIME_ZONE"] == "Europe/Brussels"
