"""The contracts describe the wire alone: they serialise models and plain objects by attribute name, send money
with its currency's minor units, and import no ORM module."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal

from marshmallow import fields

from contracts.common import Money, Schema
from ledger.money import Money as MoneyValue
from ledger.wire import Extended


@dataclass
class _Row:
    amount: Decimal | None
    currency: str | None


class _RowSchema(Schema):
    amount = Money(allow_none=True)


def test_money_sends_a_stored_amount_with_its_currencys_minor_units():
    dump = _RowSchema().dump
    assert dump(_Row(Decimal("20000.0000"), "GBP")) == {"amount": "20000.00"}
    assert dump(_Row(Decimal("1500.0000"), "JPY")) == {"amount": "1500"}
    assert dump(_Row(Decimal("-1.2500"), "BHD")) == {"amount": "-1.250"}
    assert dump(_Row(None, "GBP")) == {"amount": None}


def test_money_sends_a_money_value_as_it_is_and_an_amount_without_a_known_currency_as_stored():
    dump = _RowSchema().dump
    assert dump(_Row(MoneyValue(Decimal("5"), "EUR"), None)) == {"amount": "5.00"}
    assert dump(_Row(Decimal("12.3400"), None)) == {"amount": "12.3400"}
    assert dump(_Row(Decimal("12.3400"), "XXQ")) == {"amount": "12.3400"}


def test_money_reads_its_currency_through_a_dotted_attribute():
    class Figures(Schema):
        voted = Money(attribute="figures.amount", currency="line.currency")

    @dataclass
    class Line:
        currency: str

    @dataclass
    class Pair:
        line: Line
        figures: _Row

    assert Figures().dump(Pair(Line("EUR"), _Row(Decimal("7.5000"), None))) == {"voted": "7.50"}


def test_an_extended_object_reads_as_its_base_with_the_added_values_on_top():
    class Shown(Schema):
        amount = Money()
        currency = fields.String()
        status = fields.String()

    shown = Extended(_Row(Decimal("3.0000"), "GBP"), status="matched", currency="EUR")
    assert Shown().dump(shown) == {"amount": "3.00", "currency": "EUR", "status": "matched"}


def test_the_contracts_import_no_orm_module():
    code = ("import importlib, pkgutil, sys, contracts\n"
            "for m in pkgutil.iter_modules(contracts.__path__): importlib.import_module('contracts.' + m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('sqlalchemy', 'sqlmodel')"
            " or (n.startswith('ledger.') and n.endswith('.models'))))\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
