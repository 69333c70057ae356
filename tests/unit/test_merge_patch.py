"""JSON Merge Patch (RFC 7396), the semantics of an agreement amendment's `terms`."""

from __future__ import annotations

import copy

import pytest

from ledger.merge_patch import merge_patch

# RFC 7396 Appendix A, every example: (target, patch, result).
RFC_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_EXAMPLES)
def test_the_rfc_examples(target, patch, result):
    assert merge_patch(target, patch) == result


def test_keys_left_out_stay():
    terms = {"per_returnee_fee": "20000.00", "instalments": [{"due_on": "2026-03-01", "amount": "1000000.00"}]}
    assert merge_patch(terms, {"per_returnee_fee": "21000.00"}) == {
        "per_returnee_fee": "21000.00", "instalments": [{"due_on": "2026-03-01", "amount": "1000000.00"}]}


def test_nested_objects_merge_key_by_key():
    terms = {"monthly_support": {"amount": "2500.00", "max_months": 3}, "capacity": 300}
    patched = merge_patch(terms, {"monthly_support": {"amount": "2600.00"}})
    assert patched == {"monthly_support": {"amount": "2600.00", "max_months": 3}, "capacity": 300}


def test_null_removes_a_key_at_any_depth():
    terms = {"tolerance": {"absolute": "50.00", "percent": "0.5"}, "advance": {"amount": "1.00"}}
    assert merge_patch(terms, {"advance": None, "tolerance": {"percent": None}}) == {
        "tolerance": {"absolute": "50.00"}}
    assert merge_patch(terms, {"not_there": None}) == terms


def test_arrays_are_replaced_whole_never_merged_item_by_item():
    terms = {"instalments": [{"due_on": "2026-03-01", "amount": "1.00"}, {"due_on": "2026-06-01", "amount": "2.00"}]}
    patched = merge_patch(terms, {"instalments": [{"due_on": "2026-09-01", "amount": "3.00", "label": None}]})
    # a null inside an array is a value of the new array, not a removal
    assert patched == {"instalments": [{"due_on": "2026-09-01", "amount": "3.00", "label": None}]}


def test_neither_argument_is_changed_nor_shared_with_the_result():
    target = {"a": {"b": [1, 2]}, "c": {"d": 1}}
    patch = {"a": {"x": {"y": None, "z": [3]}}, "c": None}
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    assert result == {"a": {"b": [1, 2], "x": {"z": [3]}}}
    assert target == target_before and patch == patch_before
    result["a"]["b"].append(9)
    result["a"]["x"]["z"].append(9)
    assert target == target_before and patch == patch_before
