"""CSV with the documented column mapping."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.money import Money
from ledger.statements.parsing import StatementParseError

from .helpers import FIXTURES, ends, headers, parse_bytes, parse_file, transfers

HEAD = "account_iban,booking_date,amount,currency"


def test_direction_column_and_all_fields():
    items = parse_file(FIXTURES / "csv_direction.csv")
    assert headers(items)[0].format == "csv" and headers(items)[0].account is None
    first, reversal, yen = transfers(items)
    assert first.account == "GB33BUKB20201555555555" and first.amount == Money.of("150.00", "EUR")
    assert (first.structured_reference, first.structured_reference_scheme) == ("RF18539007547034", "RF")
    assert first.uetr == "8a562c67-ca16-48ba-b074-65581be6f001" and first.bank_reference == "BANKREF-0001"
    assert first.value_date == date(2024, 3, 15) and not first.reversal
    assert reversal.direction == "debit" and reversal.reversal and reversal.counterparty_name == "Returned, Payer"
    assert reversal.value_date is None
    assert yen.amount == Money.of("1000", "JPY") and yen.remittance_information == "Invoice 2024-13, part 1"
    assert ends(items)[0].balance_check == "unavailable"


def test_signed_amounts_semicolons_and_header_case():
    items = parse_file(FIXTURES / "csv_signed.csv")
    fee, refund1, refund2 = transfers(items)
    assert (fee.direction, str(fee.amount)) == ("debit", "25.00")
    assert refund1.direction == "credit" and refund1.structured_reference == "RF18539007547034"
    assert refund1.fingerprint != refund2.fingerprint  # two identical rows are two movements
    assert ends(items)[0].debits == Money.of("25.00", "EUR")


@pytest.mark.parametrize("row, code", [
    ("GB1,2024-03-15,10.00,", "missing_currency"),
    ("GB1,2024-03-15,10.0.0,EUR", "invalid_amount"),
    ("GB1,2024-03-15,1e3,EUR", "invalid_amount"),
    ("GB1,15.03.2024,10.00,EUR", "invalid_date"),
    ("GB1,2024-03-15,10.00", "invalid_csv"),
    (",2024-03-15,10.00,EUR", "invalid_entry"),
])
def test_bad_rows_name_their_line(row, code):
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(f"{HEAD}\nGB1,2024-03-15,1.00,EUR\n{row}\n".encode())
    assert caught.value.code == code and caught.value.location == "line 3"


def test_negative_amount_with_direction_is_refused():
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(f"{HEAD},direction\nGB1,2024-03-15,-1.00,EUR,credit\n".encode())
    assert caught.value.code == "invalid_amount"
