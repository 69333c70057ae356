from datetime import UTC, date, datetime
from decimal import Decimal

from ledger.money import Money
from ledger.web.formats import amount, isodate, isotime, money


def test_amounts_use_the_currency_decimals_and_a_minus_sign():
    assert amount(Decimal("1234567.5"), "GBP") == "1,234,567.50"
    assert amount(Decimal(1500), "JPY") == "1,500"
    assert amount(Decimal("-0.125"), "BHD") == "\u22120.125"
    assert str(money(Money.of("12.30", "EUR"))) == "12.30&nbsp;EUR"


def test_dates_and_times_are_iso_8601_in_utc():
    assert isodate(date(2026, 2, 1)) == "2026-02-01"
    assert isodate("2026-02-01T10:00:00+00:00") == "2026-02-01"
    assert isotime("2026-11-26T05:48:15.123+01:00") == "2026-11-26T04:48:15Z"
    assert isotime(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
