"""Payments in another currency: the instructed amount and the bank's exchange rate from camt `AmtDtls`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.money import Money
from ledger.statements.parsing import StatementParseError
from ledger.statements.parsing._fx import rate_per_instructed_unit

from .helpers import FIXTURES, ends, parse_bytes, parse_file, transfers
from .test_statement_camt import camt053, entry


def fx_detail(amount_details: str, e2e: str = "E2E-1") -> str:
    return f"<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs><AmtDtls>{amount_details}</AmtDtls></TxDtls>"


def exchange(rate: str = "0.8", source: str = "EUR", target: str | None = "GBP", unit: str | None = None) -> str:
    target_element = f"<TrgtCcy>{target}</TrgtCcy>" if target else ""
    unit_element = f"<UnitCcy>{unit}</UnitCcy>" if unit else ""
    return f"<CcyXchg><SrcCcy>{source}</SrcCcy>{target_element}{unit_element}<XchgRate>{rate}</XchgRate></CcyXchg>"


def instructed(amount: str = "1000.00", ccy: str = "GBP", xchg: str = "") -> str:
    return f'<InstdAmt><Amt Ccy="{ccy}">{amount}</Amt>{xchg}</InstdAmt>'


def one_payment(amount_details: str, booked: str = "1250.00") -> list:
    return transfers(parse_bytes(camt053(entry(booked, "DBIT", details=fx_detail(amount_details)))))


def test_fixture_quoted_either_way_gives_one_normalised_rate():
    items = parse_file(FIXTURES / "fx-camt.053.001.02-eur-gbp.xml")
    source_unit, target_unit, on_tx_amount, no_rate, same_currency = transfers(items)
    gbp = lambda value: Money.of(value, "GBP")  # noqa: E731
    # 1 EUR = 0.80 GBP (no UnitCcy), 1 GBP = 1.25 EUR (UnitCcy GBP), GBP→EUR at 1.25 under TxAmt: all one rate,
    # in EUR (the booked currency) per GBP (the instructed one).
    for transfer, amount in ((source_unit, "1000.00"), (target_unit, "1000.00"), (on_tx_amount, "500.00")):
        assert transfer.instructed_amount == gbp(amount)
        assert transfer.fx_rate == Decimal("1.25")
        assert transfer.amount.currency == "EUR"
        assert transfer.amount.amount == transfer.instructed_amount.amount * transfer.fx_rate
    assert no_rate.instructed_amount == gbp("500.00") and no_rate.fx_rate is None
    assert same_currency.instructed_amount is None and same_currency.fx_rate is None
    assert ends(items)[0].balance_check == "ok"


def test_end_to_end_fixture_in_version_04():
    (payment,) = transfers(parse_file(FIXTURES / "fx-camt.053.001.04-gb-pays-rw.xml"))
    assert payment.amount == Money.of("1250.00", "EUR") and payment.direction == "debit"
    assert payment.instructed_amount == Money.of("1000.00", "GBP") and payment.fx_rate == Decimal("1.25")
    assert payment.structured_reference == "RF94RWFXCAMT1"


@pytest.mark.parametrize("source, target, unit, rate, expected", [
    ("EUR", "GBP", None, "0.8", "1.25"),      # 1 EUR = 0.8 GBP
    ("EUR", "GBP", "EUR", "0.8", "1.25"),     # the same, UnitCcy spelled out
    ("EUR", "GBP", "GBP", "1.25", "1.25"),    # 1 GBP = 1.25 EUR
    ("GBP", "EUR", None, "1.25", "1.25"),     # 1 GBP = 1.25 EUR
    ("GBP", "EUR", "EUR", "0.8", "1.25"),     # 1 EUR = 0.8 GBP
    ("GBP", None, None, "1.25", "1.25"),      # no TrgtCcy: the pair is GBP and the payment's other currency
    ("EUR", None, None, "0.8", "1.25"),
    ("USD", "GBP", None, "0.79", None),       # a leg through a third currency says nothing about EUR/GBP
    ("EUR", "GBP", "USD", "0.8", None),       # a unit currency outside the pair
])
def test_rate_is_normalised_to_booked_units_per_instructed_unit(source, target, unit, rate, expected):
    normalised = rate_per_instructed_unit(Decimal(rate), source=source, target=target, unit=unit,
                                          booked="EUR", instructed="GBP")
    assert normalised == (Decimal(expected) if expected else None)


def test_an_inexact_inverse_keeps_its_precision():
    (payment,) = one_payment(instructed(xchg=exchange("0.86956522")), booked="1150.00")
    assert abs(payment.fx_rate - Decimal("1.15")) < Decimal("1e-8")


def test_exchange_with_the_transaction_amount_when_the_instructed_amount_has_none():
    details = instructed() + f'<TxAmt><Amt Ccy="EUR">1250.00</Amt>{exchange("1.25", "GBP", "EUR")}</TxAmt>'
    (payment,) = one_payment(details)
    assert payment.fx_rate == Decimal("1.25")


def test_an_exchange_of_another_pair_leaves_the_rate_to_the_engine():
    (payment,) = one_payment(instructed(xchg=exchange("0.79", "USD", "GBP")))
    assert payment.instructed_amount == Money.of("1000.00", "GBP") and payment.fx_rate is None


def test_entry_level_amount_details_serve_an_entry_without_details():
    data = camt053(entry("1250.00", "DBIT").replace(
        "<NtryDtls></NtryDtls>", f"<AmtDtls>{instructed(xchg=exchange())}</AmtDtls>"), version="04")
    (payment,) = transfers(parse_bytes(data))
    assert payment.instructed_amount == Money.of("1000.00", "GBP") and payment.fx_rate == Decimal("1.25")


def test_each_detail_of_a_split_batch_keeps_its_own_conversion():
    details = (f'<TxDtls><Refs><EndToEndId>B1</EndToEndId></Refs><Amt Ccy="EUR">1250.00</Amt>'
               f"<AmtDtls>{instructed(xchg=exchange())}</AmtDtls></TxDtls>"
               '<TxDtls><Refs><EndToEndId>B2</EndToEndId></Refs><Amt Ccy="EUR">100.00</Amt></TxDtls>')
    first, second = transfers(parse_bytes(camt053(entry("1350.00", "DBIT", details=details), version="04")))
    assert (first.detail_index, first.instructed_amount, first.fx_rate) == (0, Money.of("1000.00", "GBP"),
                                                                           Decimal("1.25"))
    assert (second.detail_index, second.instructed_amount, second.fx_rate) == (1, None, None)


def test_the_conversion_does_not_change_the_fingerprint():
    # An intraday report may leave out what the end-of-day statement states: still the same movement.
    (plain,) = transfers(parse_bytes(camt053(entry("1250.00", "DBIT", details=fx_detail("")))))
    (stated,) = one_payment(instructed(xchg=exchange()))
    assert plain.fingerprint == stated.fingerprint


def error(data: bytes) -> StatementParseError:
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(data)
    return caught.value


@pytest.mark.parametrize("rate", ["0", "0.000", "-1.25", "1,25", "abc", "", "1e3", "NaN"])
def test_a_bad_rate_is_refused_naming_the_element_and_line(rate):
    exc = error(camt053(entry("1250.00", "DBIT", details=fx_detail(instructed(xchg=exchange(rate))))))
    assert exc.code == "invalid_fx_rate"
    assert exc.location.startswith("entry 1 (line ") and "InstdAmt/CcyXchg/XchgRate (line " in exc.location


def test_a_missing_rate_is_refused():
    xchg = "<CcyXchg><SrcCcy>EUR</SrcCcy><TrgtCcy>GBP</TrgtCcy></CcyXchg>"
    exc = error(camt053(entry("1250.00", "DBIT", details=fx_detail(instructed(xchg=xchg)))))
    assert exc.code == "invalid_fx_rate" and "InstdAmt/CcyXchg (line " in exc.location


def test_an_instructed_amount_in_no_iso_currency_is_refused():
    exc = error(camt053(entry("1250.00", "DBIT", details=fx_detail(instructed(ccy="XYZ")))))
    assert exc.code == "invalid_currency" and "InstdAmt (line " in exc.location


def test_an_exchange_naming_no_iso_currency_is_refused():
    exc = error(camt053(entry("1250.00", "DBIT", details=fx_detail(instructed(xchg=exchange(source="EURO"))))))
    assert exc.code == "invalid_currency" and "InstdAmt/CcyXchg (line " in exc.location


def test_a_negative_or_overprecise_instructed_amount_is_refused():
    assert error(camt053(entry("1250.00", "DBIT", details=fx_detail(instructed("-1000.00"))))).code \
        == "invalid_amount"
    assert error(camt053(entry("1250.00", "DBIT", details=fx_detail(instructed("1000.001"))))).code \
        == "invalid_amount"
