"""JSON Merge Patch (RFC 7396): how an agreement amendment changes the terms in force.

A patch object changes only the keys it names: a key set to `null` is removed, a key set to an object is
merged into the target's object of that name the same way (recursively), and any other value (a string, a
number, an array) replaces the target's value whole. A patch that is not an object replaces the target whole.
So `{"per_returnee_fee": "21000.00"}` changes the fee and keeps every other term, and arrays such as
`instalments` are restated in full when any of their items changes.

Pure: neither argument is changed, and the result shares no mutable part with them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """`target` with `patch` applied, after RFC 7396 section 2 (MergePatch)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    merged = {key: copy.deepcopy(value) for key, value in target.items()} if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
