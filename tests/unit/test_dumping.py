"""The compiled dump (`contracts.dumping`) gives marshmallow's output for every schema in `contracts/`: each schema is
dumped from objects of every shape the views hand it (attribute objects, dicts, objects with `__getitem__`), with
the values of each field's usual type, of other types a field converts (an enum in a string, a bool in an integer,
a datetime in a date, a Money or Decimal amount), with None and with nothing at all, and the two dumps must agree
in keys, key order, types and values (or both raise the same error). The API tests run with `dumping.check` on, so
every response they read was compared the same way."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from types import SimpleNamespace

import marshmallow as ma
import pytest
from marshmallow import fields

import contracts
from contracts import common, dumping
from ledger.money import Money as MoneyValue


class _Colour(StrEnum):
    RED = "red"


class _Keyed:
    """An object read by attribute although it has `__getitem__` (as an ORM row has)."""

    def __getitem__(self, key):
        raise KeyError(key)


def _schemas() -> list[type[ma.Schema]]:
    for module in pkgutil.iter_modules(contracts.__path__):
        importlib.import_module(f"contracts.{module.name}")
    found, todo = set(), [common.Schema]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in found and sub.__module__.startswith("contracts."):
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


SCHEMAS = _schemas()
SHAPES = ("attributes", "dict", "keyed")
PROFILES = ("usual", "converted", "none", "absent")


def _value(field: fields.Field, profile: str, shape: str, depth: int):
    """A value for `field` in `profile` (`absent`: the attribute is not set at all)."""
    if profile == "none":
        return None
    if isinstance(field, fields.Nested):
        nested = field.schema
        many = nested.many or field.many
        if depth > 2:
            return [] if many else None
        one = _object(nested, profile, shape, depth + 1)
        return [one, _object(nested, profile, shape, depth + 1)] if many else one
    if isinstance(field, fields.List):
        return [_value(field.inner, profile, shape, depth), _value(field.inner, "usual", shape, depth)]
    if isinstance(field, common.Money):
        return MoneyValue(Decimal("12.34"), "GBP") if profile == "converted" else Decimal("12.3400")
    if isinstance(field, common.Amount):
        return MoneyValue(Decimal("5"), "JPY") if profile == "converted" else Decimal("-7.5000")
    if isinstance(field, common.Rate):
        return "1.1500" if profile == "converted" else Decimal("1.1500")
    if isinstance(field, fields.DateTime):
        return datetime(2026, 3, 2, 9, 30, tzinfo=UTC) if profile == "converted" else datetime(2026, 3, 2, 9, 30)
    if isinstance(field, fields.Date):
        return datetime(2026, 3, 2, 9, 30) if profile == "converted" else date(2026, 3, 2)
    if isinstance(field, fields.Boolean):
        return 1 if profile == "converted" else True
    if isinstance(field, fields.Integer):
        return True if profile == "converted" else 42
    if isinstance(field, fields.Dict):
        return '{"b": 2}' if profile == "converted" and "Json" in type(field).__name__ else {"a": "1"}
    if isinstance(field, fields.Method):
        return '[{"line": 1}]'
    if isinstance(field, fields.String):
        return _Colour.RED if profile == "converted" else "text"
    return "raw"


def _container(shape: str):
    return {} if shape == "dict" else SimpleNamespace() if shape == "attributes" else _Keyed()


def _put(obj, path: str, value, shape: str) -> None:
    """Set the dotted `path`; not where another field already put a value that holds no attributes (fx's
    `amount.currency`, read from the Money value that `amount` is)."""
    *heads, last = path.split(".")
    for head in heads:
        inner = obj.get(head) if isinstance(obj, dict) else getattr(obj, head, None)
        if inner is None:
            inner = _container(shape)
            _put(obj, head, inner, shape)
        obj = inner
    if isinstance(obj, dict):
        obj[last] = value
    elif isinstance(obj, SimpleNamespace | _Keyed):
        setattr(obj, last, value)


def _object(schema: ma.Schema, profile: str, shape: str, depth: int = 0):
    obj = _container(shape)
    if profile == "absent":
        return obj
    for name, field in schema.dump_fields.items():
        _put(obj, field.attribute or name, _value(field, profile, shape, depth), shape)
        currency = getattr(field, "currency", None)
        if isinstance(currency, str):
            _put(obj, currency, "EUR", shape)
    return obj


def _dump(schema: ma.Schema, obj, many: bool = False):
    try:
        return "ok", schema.dump(obj, many=many)
    except Exception as error:  # noqa: BLE001 - compared with the reference's error
        return "error", type(error)


def _marshmallow_dump(schema: ma.Schema, obj, monkeypatch, many: bool = False):
    """marshmallow's own dump at every level (no compiled plan anywhere)."""
    with monkeypatch.context() as patch:
        patch.setattr(dumping.CompiledSchema, "_serialize", ma.Schema._serialize)
        return _dump(schema, obj, many)


def test_every_contract_schema_is_dumped_compiled():
    assert len(SCHEMAS) > 100
    for cls in SCHEMAS:
        assert cls._serialize is dumping.CompiledSchema._serialize, cls


@pytest.mark.parametrize("cls", SCHEMAS, ids=lambda cls: f"{cls.__module__.split('.')[-1]}.{cls.__qualname__}")
def test_the_compiled_dump_is_marshmallows(cls, monkeypatch):
    monkeypatch.setattr(dumping, "_checking", False)
    schema = cls()
    for shape in SHAPES:
        for profile in PROFILES:
            obj = _object(schema, profile, shape)
            for given, many in ((obj, False), ([obj, obj], True)):
                compiled = _dump(schema, given, many)
                reference = _marshmallow_dump(cls(), given, monkeypatch, many)
                assert compiled[0] == reference[0], (shape, profile, many, compiled, reference)
                if compiled[0] == "ok":
                    assert dumping._difference(compiled[1], reference[1], "") is None, (shape, profile, many)
                else:
                    assert compiled[1] is reference[1], (shape, profile, many)


def test_the_check_mode_catches_a_difference(monkeypatch):
    class Pair(common.Schema):
        a = fields.String()
        b = fields.Integer(data_key="B")

    monkeypatch.setattr(dumping, "_checking", True)
    schema = Pair()
    assert schema.dump({"a": "x", "b": True}) == {"a": "x", "B": 1}
    assert list(schema.dump(SimpleNamespace(b=2))) == ["B"]
    schema.__dict__["_dump_plan"] = (schema.dump_fields, lambda obj: {"B": 1, "a": "x"})  # another order
    with pytest.raises(dumping.DumpMismatch):
        schema.dump({"a": "x", "b": 1})


def test_the_difference_sees_types_order_and_values():
    assert dumping._difference({"a": [1, {"b": "2"}]}, {"a": [1, {"b": "2"}]}, "") is None
    assert dumping._difference({"a": 1}, {"a": True}, "") == "/a"
    assert dumping._difference({"a": 1, "b": 2}, {"b": 2, "a": 1}, "") == ""
    assert dumping._difference([1, 2], [1], "") == ""
    assert dumping._difference({"a": ["x"]}, {"a": ["y"]}, "") == "/a/0"


def test_a_nested_instance_narrowed_by_only_dumps_its_own_fields(monkeypatch):
    class Inner(common.Schema):
        a = fields.String()
        b = fields.String()

    inner = Inner()
    assert inner.dump({"a": "x", "b": "y"}) == {"a": "x", "b": "y"}  # a plan built for both fields

    class Outer(common.Schema):
        one = fields.Nested(inner, only=("a",))
        many = fields.List(fields.Nested(inner, exclude=("a",)))

    monkeypatch.setattr(dumping, "_checking", True)
    row = {"a": "x", "b": "y"}
    assert Outer().dump({"one": row, "many": [row]}) == {"one": {"a": "x"}, "many": [{"b": "y"}]}
