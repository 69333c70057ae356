"""Where a dated item lands: its own month while open, else the first month after the last close."""

from datetime import date

from ledger.journal.service import landing_period


def test_an_item_of_an_open_month_lands_in_its_own_month():
    assert landing_period(None, date(2026, 1, 31)) == "2026-01"
    assert landing_period("2025-12", date(2026, 1, 5)) == "2026-01"


def test_an_item_of_a_closed_month_lands_in_the_month_after_the_last_close():
    assert landing_period("2026-01", date(2026, 1, 5)) == "2026-02"
    assert landing_period("2026-03", date(2025, 11, 30)) == "2026-04"
    assert landing_period("2026-12", date(2026, 12, 31)) == "2027-01"
