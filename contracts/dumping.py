"""A schema's dump compiled once, to the same output as marshmallow's.

marshmallow dumps each field of each object through five or six calls (`Field.serialize`, `get_value`, the schema's
`get_attribute`, `_serialize`, `ensure_text_type`...): on a page of 100 transfers, or of 100 entries with their 200
postings, that was most of the request's CPU. `CompiledSchema` replaces only `Schema._serialize`, the loop over the
fields; marshmallow's `dump` still runs the pre- and post-dump hooks around it as before.

Each schema instance builds its plan on first use and keeps it (flask-smorest holds one instance per response, and a
nested schema is held by its field): for each field to dump, its key, the name it is read by, and what formats it.
A value whose type a field's marshmallow `_serialize` is known to hand back unchanged (a `str` in a `String`, an
`int` in an `Integer`, anything in a `Boolean` or `Raw`, None in those and in dates, lists and nested objects) is
kept as it is; anything else goes through the field's own `_serialize`, exactly as marshmallow would call it. Dates
are formatted by the function marshmallow itself picks for the field's format; a list of nested objects and a
nested object by the nested schema's own plan (or its `dump` when it has hooks). A field whose `serialize` or
`get_value` is its own, or that reads no attribute (`Method`, `Function`, `Constant`), is dumped by marshmallow's
`Field.serialize` whole.

`check(True)` (the tests turn it on) dumps every object both ways and raises if the two differ in any key, order,
type or value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

_checking = False


def check(on: bool) -> None:
    """Dump every object with marshmallow too and raise `DumpMismatch` if the compiled dump differs."""
    global _checking
    _checking = on


class DumpMismatch(AssertionError):
    """The compiled dump of an object differs from marshmallow's."""


class CompiledSchema(ma.Schema):
    """A marshmallow Schema whose field loop runs from a plan built once per instance."""

    def get_attribute(self, obj, attr, default):
        """What marshmallow reads for a field, without its `hasattr(obj, "__getitem__")` on model objects: on a
        SQLModel (pydantic) object that lookup fails through pydantic's `__getattr__`, which builds and raises an
        AttributeError each time, for every field of every row (two thirds of a list page's time went there).
        Objects whose type has no `__getitem__` (models, dataclasses) are read by attribute, dicts by key, anything
        else (a dotted name, a row) as marshmallow does. No ORM import: the contract reads attributes by name."""
        if "." not in attr:
            if type(obj) is dict:
                if attr in obj:
                    return obj[attr]
            elif not hasattr(type(obj), "__getitem__"):
                return getattr(obj, attr, default)
        return super().get_attribute(obj, attr, default)

    def _serialize(self, obj: Any, *, many: bool = False):
        one = _dumper(self)
        if _checking:
            return _checked(self, one, obj, many)
        if many and obj is not None:
            return [one(item) for item in obj]
        return one(obj)


def _checked(schema: CompiledSchema, one: Callable, obj: Any, many: bool):
    compiled = [one(item) for item in obj] if many and obj is not None else one(obj)
    reference = ma.Schema._serialize(schema, obj, many=many)
    where = _difference(compiled, reference, "")
    if where is not None:
        raise DumpMismatch(f"{type(schema).__name__}: compiled dump differs from marshmallow's at {where or '/'}: "
                           f"{compiled!r} != {reference!r}")
    return compiled


def _difference(a: Any, b: Any, path: str) -> str | None:
    """Where `a` and `b` differ in type, keys, key order, length or value (None: nowhere)."""
    if type(a) is not type(b):
        return path
    if isinstance(a, dict):
        if list(a) != list(b):
            return path
        for key in a:
            where = _difference(a[key], b[key], f"{path}/{key}")
            if where is not None:
                return where
        return None
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return path
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            where = _difference(x, y, f"{path}/{index}")
            if where is not None:
                return where
        return None
    return None if a == b else path


# ---- the plan ----------------------------------------------------------------------------------------------------

_NONE = type(None)


class _AllTypes(frozenset):
    """`keep` of a field whose `_serialize` returns every value unchanged."""

    def __contains__(self, item) -> bool:
        return True


_EVERY_TYPE = _AllTypes()


def _dumper(schema: CompiledSchema) -> Callable[[Any], dict]:
    """The schema's compiled dump of one object: built on first use and kept with the fields it was built for (a
    copy of the instance that `Nested` narrows with `only` or `exclude` gets fields, and so a plan, of its own)."""
    plan = schema.__dict__.get("_dump_plan")
    if plan is not None and plan[0] is schema.dump_fields:
        return plan[1]
    return _plan(schema)


def _plan(schema: CompiledSchema) -> Callable[[Any], dict]:
    """The function dumping one object as `ma.Schema._serialize(schema, obj)` does, kept on the instance."""
    dump_fields = schema.dump_fields
    get_attribute = schema.get_attribute
    fast_reads = type(schema).get_attribute is CompiledSchema.get_attribute
    dict_class = schema.dict_class
    steps = []
    for attr_name, field in dump_fields.items():
        key = field.data_key if field.data_key is not None else attr_name
        cls = type(field)
        if (not field._CHECK_ATTRIBUTE or cls.serialize is not fields.Field.serialize
                or cls.get_value is not fields.Field.get_value):
            steps.append((key, attr_name, None, False, (), None, missing, _whole(field, attr_name, get_attribute)))
            continue
        name = attr_name if field.attribute is None else field.attribute
        keep, fmt = _formatter(field)
        steps.append((key, attr_name, name, fast_reads and "." not in name, keep, fmt, field.dump_default, None))
    steps = tuple(steps)

    def dump_one(obj: Any) -> dict:
        ret = dict_class()
        kind = type(obj)
        is_dict = kind is dict
        by_attribute = not is_dict and not hasattr(kind, "__getitem__")
        for key, attr_name, name, plain, keep, fmt, default, whole in steps:
            if whole is not None:
                value = whole(obj)
                if value is not missing:
                    ret[key] = value
                continue
            if plain and by_attribute:
                value = getattr(obj, name, missing)
            elif plain and is_dict and name in obj:
                value = obj[name]
            else:
                value = get_attribute(obj, name, missing)
            if value is missing:
                value = default() if callable(default) else default
                if value is missing:
                    continue
            if type(value) not in keep:
                value = fmt(value, attr_name, obj)
            ret[key] = value
        return ret

    schema.__dict__["_dump_plan"] = (dump_fields, dump_one)
    return dump_one


def _whole(field: fields.Field, attr_name: str, get_attribute: Callable) -> Callable[[Any], Any]:
    def dump(obj: Any) -> Any:
        return field.serialize(attr_name, obj, accessor=get_attribute)
    return dump


#: A formatter is called as marshmallow calls a field's `_serialize`: (value, the field's name, the object).
Formatter = Callable[[Any, str, Any], Any]


def _formatter(field: fields.Field) -> tuple[frozenset, Formatter]:
    """(the value types the field's `_serialize` returns unchanged, the formatter of the others)."""
    serialize = type(field)._serialize
    if serialize is fields.Field._serialize:  # Boolean, Raw: no formatting
        return _EVERY_TYPE, field._serialize
    if serialize is fields.String._serialize:
        return frozenset({str, _NONE}), field._serialize
    if serialize is fields.Number._serialize and isinstance(field, fields.Integer) and field.num_type is int \
            and type(field)._format_num is fields.Number._format_num and not field.as_string:
        return frozenset({int, _NONE}), field._serialize
    if serialize is fields._TemporalField._serialize:
        return frozenset({_NONE}), _temporal(field)
    if serialize is fields.List._serialize:
        return frozenset({_NONE}), _list(field)
    if serialize is fields.Nested._serialize:
        return frozenset({_NONE}), _nested(field)
    return frozenset(), field._serialize


def _temporal(field: fields.Field) -> Formatter:
    """marshmallow's `_TemporalField._serialize` for a value that is not None, its format looked up once."""
    format_func = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
    if format_func:
        def fmt(value: Any, attr: str, obj: Any) -> Any:
            return format_func(value)
        return fmt
    return field._serialize


def _list(field: fields.List) -> Formatter:
    """`List._serialize` for a value that is not None: each item as the inner field's `_serialize` formats it."""
    keep, inner = _formatter(field.inner)

    def fmt(value: Any, attr: str, obj: Any) -> Any:
        return [each if type(each) in keep else inner(each, attr, obj) for each in value]
    return fmt


def _nested(field: fields.Nested) -> Formatter:
    """`Nested._serialize` for a value that is not None: the nested schema's plan, or its `dump` when it has
    hooks or is not compiled."""
    nested = field.schema
    many = nested.many or field.many
    if not (isinstance(nested, CompiledSchema) and type(nested)._serialize is CompiledSchema._serialize
            and not nested._hooks[PRE_DUMP] and not nested._hooks[POST_DUMP]):
        dump = nested.dump

        def by_dump(value: Any, attr: str, obj: Any) -> Any:
            return dump(value, many=many)
        return by_dump

    def fmt(value: Any, attr: str, obj: Any) -> Any:
        one = _dumper(nested)
        return [one(item) for item in value] if many else one(value)
    return fmt
