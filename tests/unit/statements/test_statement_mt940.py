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
    data = (b":20:X\n:25:ACC\n:28C:1\n:60F:C240101EUR0,\n:61:240101C0,10NMSCNONREF\n:86:a\n"
            b":61:240101C0,20NMSCNONREF\n:86:b\n:62F:C240101EUR0,30\n-\n")
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


# ---- every :61: read exactly, or the file refused ----------------------------------------------------------

def issue_statement(first: str = "2403010301C43985,66NTRFNONREF", second: str = "2403020302C1000,00NTRFNONREF",
                    third: str = "2403030303C121189,65NTRFNONREF") -> bytes:
    """The three-entry statement of the issue; the :61: lines are on lines 5, 7 and 9."""
    return (f":20:STMT1\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C240301EUR0,00\n"
            f":61:{first}\n:86:first\n:61:{second}\n:86:second\n:61:{third}\n:86:third\n"
            f":62F:C240303EUR166175,31\n-\n").encode()


def test_three_valid_entries_are_read_exactly():
    items = parse_bytes(issue_statement())
    assert [(str(t.amount), t.remittance_information) for t in transfers(items)] == [
        ("43985.66", "first"), ("1000.00", "second"), ("121189.65", "third")]
    assert ends(items)[0].balance_check == "ok"


def test_the_issues_file_is_refused_not_read_as_one_credit():
    # The library read this as one credit of 121189 with all three :86: texts glued together.
    document = issue_statement(first="2403010301C43985,66", second="2403020302C1000.00NTRFNONREF",
                               third="2403030303C121189.00NTRFNONREF")
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(document)
    assert (caught.value.field, caught.value.location) == ("type_code", "statement 1, entry 1 (line 5)")


@pytest.mark.parametrize("second,field,code", [
    ("2403020302C1000.00NTRFNONREF", "amount", "invalid_amount"),  # a dot for the decimal comma
    ("2403020302C1.000,00NTRFNONREF", "amount", "invalid_amount"),  # a thousands separator
    ("2403020302C1000000000000,00NTRFNONREF", "amount", "invalid_amount"),  # 16 characters, over 15d
    ("2403020302C,50NTRFNONREF", "amount", "invalid_amount"),  # no digit before the comma
    ("2403020302CNTRFNONREF", "amount", "invalid_amount"),  # no amount at all
    ("2403020302C1000,00NONREF", "type_code", "invalid_entry"),  # the reference right after the amount
    ("2403020302C1000,00", "type_code", "invalid_entry"),
    ("2403020302C1000,00//BANKREF", "type_code", "invalid_entry"),
    ("2403020302C1000,00 NTRFNONREF", "type_code", "invalid_entry"),
    ("2403020302C1000,00XTRFNONREF", "type_code", "invalid_entry"),
    ("2403020302X1000,00NTRFNONREF", "debit_credit_mark", "invalid_entry"),
    ("2413020302C1000,00NTRFNONREF", "value_date", "invalid_date"),
    ("240302C1000,00NTRFNONREF", None, None),  # the entry date is optional
    ("2403021302C1000,00NTRFNONREF", "entry_date", "invalid_date"),
    ("24030203C1000,00NTRFNONREF", "entry_date", "invalid_date"),  # half an entry date
])
def test_a_statement_line_outside_the_swift_grammar_is_refused_naming_line_and_field(second, field, code):
    document = issue_statement(second=second)
    if field is None:
        assert [str(t.amount) for t in transfers(parse_bytes(document))] == ["43985.66", "1000.00", "121189.65"]
        return
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(document)
    error = caught.value
    assert (error.code, error.field, error.location) == (code, field, "statement 1, entry 2 (line 7)")
    assert field in error.message and "1000" not in error.message  # names the field, never quotes the amount


def test_line_numbers_are_those_of_the_file_with_its_envelope_and_earlier_statements():
    block = issue_statement().decode()
    document = ("{1:F01ABNANL2AXXXX0000000000}{2:O9401200240304ABNANL2AXXXXN}{4:\r\n" + block.replace("\n", "\r\n")
                + block.replace("STMT1", "STMT2").replace("C1000,00", "C1000.00").replace("\n", "\r\n")
                + "-}\r\n").encode()
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(document)
    # envelope line 1, first statement lines 2-13, the second's dotted :61: is its line 7: file line 20
    assert (caught.value.field, caught.value.location) == ("amount", "statement 2, entry 5 (line 20)")


def test_an_entry_the_library_loses_is_refused(monkeypatch):
    """The guard behind the grammar check: the library's entries must be the :61: lines, one for one."""
    import mt940

    from ledger.statements.parsing import mt940_format

    real_parse = mt940.parse

    def losing(data, **kwargs):
        statement = real_parse(data, **kwargs)
        del statement.transactions[1]
        return statement

    monkeypatch.setattr(mt940_format.mt940, "parse", losing)
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(issue_statement())
    assert caught.value.code == "invalid_mt940" and caught.value.location == "statement 1, entry 2 (line 7)"


def test_what_the_library_cannot_read_is_placed_at_its_line_and_not_logged(caplog):
    three_lines = (b":20:X\n:25:ACC\n:28C:1\n:60F:C240101EUR0,\n:61:240101C0,10NMSCNONREF\nDETAILS ONE\nDETAILS TWO\n"
                   b":86:a\n:62F:C240101EUR0,10\n-\n")
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(three_lines)
    assert (caught.value.field, caught.value.location) == ("reference", "statement 1, entry 1 (line 5)")
    bad_balance = b":20:X\n:25:ACC\n:28C:1\n:60F:X240101EUR0,\n:61:240101C0,10NMSCNONREF\n:62F:C240101EUR0,10\n-\n"
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(bad_balance)
    assert (caught.value.field, caught.value.location) == ("60F", "statement 1 (line 4)")
    assert "DETAILS ONE" not in caplog.text and "X240101EUR" not in caplog.text
