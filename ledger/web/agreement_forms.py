"""An agreement's terms as a form: a field per term, instalments and milestones as rows, and back.

Each input is named by the path the API's validation names in its errors (`terms.monthly_support.amount`,
`terms.instalments.2.due_on`), so a refusal lands next to the field that caused it. A field left empty leaves
the term out; a row left empty is ignored. Pure functions over plain mappings: no Flask, no database.

An amendment from the form states the complete terms; `merge_diff` turns them into the JSON merge patch the
service takes (RFC 7396: what changed, and null for what was removed), so the result is exactly the form.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ledger.errors import Unprocessable

MONEY_TERMS = ("per_returnee_fee",)
COUNT_TERMS = ("annual_quota", "capacity", "payment_terms_days", "notice_months")
#: term → its fields (the order the form shows them), for terms that are objects.
OBJECT_TERMS = {"monthly_support": ("amount", "max_months"), "advance": ("amount", "due_within_days"),
                "tolerance": ("absolute", "percent")}
ROW_TERMS = {"instalments": ("due_on", "amount", "label"), "milestones": ("returnees", "amount")}
#: Every term the form shows: what it leaves empty is removed; terms it does not show (cost reimbursement, late
#: interest, a voluntary departure grant: set through the API) are kept as they are.
FORM_TERMS = {*MONEY_TERMS, *COUNT_TERMS, *OBJECT_TERMS, *ROW_TERMS}
#: Fields given as whole numbers on the wire.
WHOLE = {"max_months", "due_within_days", "returnees", *COUNT_TERMS}
#: Blank rows offered after the filled ones (more: save, and the form comes back with more).
SPARE_ROWS = 2


def form_values(terms: Mapping[str, Any]) -> dict[str, str]:
    """The form's values for wire `terms` (what the page pre-fills)."""
    values: dict[str, str] = {}
    for name in (*MONEY_TERMS, *COUNT_TERMS):
        if terms.get(name) is not None:
            values[f"terms.{name}"] = str(terms[name])
    for name, fields in OBJECT_TERMS.items():
        for sub in fields:
            if isinstance(terms.get(name), Mapping) and terms[name].get(sub) is not None:
                values[f"terms.{name}.{sub}"] = str(terms[name][sub])
    for name, fields in ROW_TERMS.items():
        for index, row in enumerate(terms.get(name) or []):
            for sub in fields:
                if row.get(sub) not in (None, ""):
                    values[f"terms.{name}.{index}.{sub}"] = str(row[sub])
    return values


def row_count(values: Mapping[str, str], name: str) -> int:
    """How many rows of `name` the form shows: the filled ones and SPARE_ROWS blank ones."""
    prefix = f"terms.{name}."
    indices = [int(k[len(prefix):].split(".", 1)[0]) for k in values if k.startswith(prefix)
               and k[len(prefix):].split(".", 1)[0].isdigit()]
    return (max(indices) + 1 if indices else 0) + SPARE_ROWS


def _whole(value: str, field: str, errors: dict[str, list[str]]) -> int | None:
    try:
        return int(value)
    except ValueError:
        errors.setdefault(field, []).append("a whole number, e.g. 12")
        return None


def _value(sub: str, text: str, field: str, errors: dict[str, list[str]]) -> Any:
    return _whole(text, field, errors) if sub in WHOLE else text


def terms_from_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[int, int]]:
    """(wire terms, {row index on the wire: row index on the form} per row term) from the form's fields.

    Raises `Unprocessable` naming every field at fault, not only the first."""
    get = lambda key: (form.get(key) or "").strip()  # noqa: E731
    errors: dict[str, list[str]] = {}
    terms: dict[str, Any] = {}
    for name in MONEY_TERMS:
        if get(f"terms.{name}"):
            terms[name] = get(f"terms.{name}")
    for name in COUNT_TERMS:
        if get(f"terms.{name}"):
            terms[name] = _whole(get(f"terms.{name}"), f"terms.{name}", errors)
    for name, fields in OBJECT_TERMS.items():
        given = {sub: get(f"terms.{name}.{sub}") for sub in fields}
        if any(given.values()):
            terms[name] = {sub: _value(sub, text, f"terms.{name}.{sub}", errors)
                           for sub, text in given.items() if text}
    rows_of: dict[str, dict[int, int]] = {}
    for name, fields in ROW_TERMS.items():
        rows, kept = [], {}
        for index in range(row_count(form, name)):
            given = {sub: get(f"terms.{name}.{index}.{sub}") for sub in fields}
            if not any(given.values()):
                continue
            kept[len(rows)] = index
            rows.append({sub: _value(sub, text, f"terms.{name}.{index}.{sub}", errors)
                         for sub, text in given.items() if text or sub == "label"})
        if rows:
            terms[name] = rows
        rows_of[name] = kept
    if errors:
        raise Unprocessable("some terms are not valid: see the fields marked", errors=errors)
    return terms, rows_of


def form_field(field: str, rows_of: Mapping[str, Mapping[int, int]]) -> str:
    """The form's name for a field the service named (`terms.instalments.0.amount` → that row on the form)."""
    parts = field.split(".")
    if len(parts) >= 3 and parts[0] == "terms" and parts[1] in ROW_TERMS and parts[2].isdigit():
        parts[2] = str(rows_of.get(parts[1], {}).get(int(parts[2]), int(parts[2])))
    return ".".join(parts)


def merge_diff(old: Mapping[str, Any], new: Mapping[str, Any], shown: Collection[str] | None = None) -> dict[str, Any]:
    """The JSON merge patch that turns `old` into `new` (null for what `new` leaves out, of the keys `shown` when
    given: a form cannot remove what it does not show)."""
    patch: dict[str, Any] = {key: None for key in old if key not in new and (shown is None or key in shown)}
    for key, value in new.items():
        if key in old and old[key] == value:
            continue
        if isinstance(value, Mapping) and isinstance(old.get(key), Mapping):
            patch[key] = merge_diff(old[key], value)
        else:
            patch[key] = value
    return patch
