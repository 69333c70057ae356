"""MT940 through the mt940 library: layouts of :86:, reversal marks, envelopes and short exports."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.money import Money
from ledger.statements.parsing import StatementParseError

from .helpers import FIXTURES, ends, headers, parse_bytes, parse_file, transfers


def test_swift_envelope_and_slash_keyword_details():
    items = parse_file(FIXTURES / "mt940_ing_envelope.sta")
    (header,) = headers(items)
    assert header.format == "mt940" and header.account == "NL91ABNA0417164300"  # trailing EUR dropped
    assert header.statement_id == "00071/1" and header.message_id == "P240315000000001"
    assert header.opening_balance == Money.of("1000.00", "EUR")
    assert (header.from_date, header.to_date) == (date(2024, 3, 14), date(2024, 3, 15))
    rf, fee, reversal, interest1, interest2 = transfers(items)
    assert (rf.structured_reference, rf.structured_reference_scheme) == ("RF18539007547034", "RF")
    assert rf.end_to_end_id == "E2E-INV-7001" and rf.bank_reference == "BANKREF-0001"
    assert rf.counterparty_name == "Ministry of Interior"  # the :86: line break inside the name is undone
    assert rf.counterparty_iban == "DE89370400440532013000"
    assert (fee.counterparty_name, fee.counterparty_iban) == ("Fees Ltd", "GB82WEST12345698765432")
    assert fee.remittance_information == "Fees March 2024" and fee.end_to_end_id is None
    assert reversal.reversal and reversal.direction == "debit" and reversal.amount == Money.of("40", "EUR")
    assert reversal.end_to_end_id == "E2E-RETURNED"
    assert interest1.fingerprint != interest2.fingerprint
    assert ends(items)[0].balance_check == "ok"


def test_german_structured_details():
    items = parse_file(FIXTURES / "mt940_german_structured.sta")
    credit, debit = transfers(items)
    assert headers(items)[0].opening_balance == Money.of("-200.00", "EUR")
    assert credit.end_to_end_id == "E2E-DE-1" and credit.counterparty_name == "Zahler GmbH"
    assert credit.counterparty_iban == "DE89370400440532013000"
    assert credit.structured_reference == "RF18539007547034"  # split across ?21/?22, found in the purpose
    assert (debit.direction, debit.end_to_end_id, debit.remittance_information) == ("debit", "DD-77", "Abo Maerz")
    assert ends(items)[0].balance_check == "ok"


def test_intermediate_balances_across_blocks():
    items = parse_file(FIXTURES / "mt940_intermediate_blocks.sta")
    first, second = headers(items)
    assert first.closing_balance == Money.of("-110.00", "EUR") == second.opening_balance
    assert [e.balance_check for e in ends(items)] == ["ok", "ok"]
    assert first.account == "NL71RABO0123456789"


def test_short_export_without_statement_tags_needs_a_currency():
    path = FIXTURES / "mt940_sparkassen_short.sta"
    with pytest.raises(StatementParseError) as caught:
        parse_file(path)
    assert caught.value.code == "missing_currency" and caught.value.location == "statement 1, entry 1"
    items = parse_file(path, default_currency="EUR")
    (transfer,) = transfers(items)
    assert transfer.amount == Money.of("30.00", "EUR") and transfer.direction == "credit"
    assert transfer.remittance_information == "Test"
    assert ends(items)[0].balance_check == "unavailable"


def test_amounts_keep_every_cent():
    data = (":20:X\n:25:ACC\n:28C:1\n:60F:C240101EUR0,\n:61:240101C0,10NMSCNONREF\n:86:a\n"
            ":61:240101C0,20NMSCNONREF\n:86:b\n:62F:C240101EUR0,30\n-\n").encode()
    items = parse_bytes(data)
    assert [str(t.amount) for t in transfers(items)] == ["0.10", "0.20"]
    assert ends(items)[0].balance_check == "ok"


def test_truncated_statement_without_closing_balance():
    data = b":20:X\n:25:ACC\n:28C:1\n:60F:C240101EUR0,\n:61:240101C0,10NMSCNONREF\n:86:a\n"
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(data)
    assert caught.value.code == "truncated" and caught.value.location == "statement 1"


def test_amount_with_too_many_decimals_for_the_currency():
    data = b":20:X\n:25:ACC\n:28C:1\n:60F:C240101JPY0,\n:61:240101C1,5NMSCNONREF\n:62F:C240101JPY1,5\n-\n"
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(data)
    assert caught.value.code == "invalid_amount"


def test_withdrawn_euro_legacy_currency_imports_and_account_suffix_is_stripped():
    data = (b":20:X\n:25:UBRTHUHB/1234567/DEM\n:28C:1\n:60F:C131016DEM100,00\n:61:131017D6,NCHK1670\n:86:SCHECK\n"
            b":62F:C131017DEM94,00\n-\n")
    items = parse_bytes(data)
    (header,) = headers(items)
    assert header.account == "UBRTHUHB/1234567" and header.currency == "DEM"
    assert ends(items)[0].balance_check == "ok"
