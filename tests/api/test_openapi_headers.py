"""The OpenAPI document declares the headers the API honours: Idempotency-Key on every POST (ledger.idempotency
claims a key on every POST), If-Match where a view reads it, ETag where a view answers with it. The lists of
operations are computed from the views' code, so a new view that reads If-Match cannot be left undocumented."""

from __future__ import annotations

import inspect
import re
import sys

from ledger.api import PREFIX


def _operations(app):
    """(path as in the document, method, the view method's source, its module's source, whether it reads If-Match)
    for each API route: a view reads If-Match when it takes `if_match` (`ledger.api.honours_if_match` passes it)."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint.startswith("api-docs"):
            continue
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            function = getattr(view_class, method.lower())
            module = sys.modules[inspect.unwrap(function).__module__]
            reads_if_match = "if_match" in inspect.signature(inspect.unwrap(function)).parameters
            yield path, method.lower(), inspect.getsource(function), inspect.getsource(module), reads_if_match


def _sends_etag(source: str, module_source: str) -> bool:
    """The view builds an ETag header itself or through a helper of its module that does."""
    if '"ETag"' in source:
        return True
    helpers = re.findall(r"^def (\w+)\(.*?(?=^\S)", module_source, flags=re.S | re.M)
    for name in helpers:
        body = re.search(rf"^def {name}\(.*?(?=^\S|\Z)", module_source, flags=re.S | re.M).group(0)
        if '"ETag"' in body and re.search(rf"\b{name}\(", source):
            return True
    return False


def _header_parameters(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}


def test_the_document_declares_idempotency_key_if_match_and_etag_where_they_are_honoured(client, app):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    missing, checked = [], {"Idempotency-Key": 0, "If-Match": 0, "ETag": 0}
    for path, method, source, module_source, reads_if_match in _operations(app):
        operation = document["paths"][path][method]
        headers = _header_parameters(operation)
        if method == "post":
            checked["Idempotency-Key"] += 1
            if "Idempotency-Key" not in headers:
                missing.append(f"Idempotency-Key on {method} {path}")
        if reads_if_match:
            checked["If-Match"] += 1
            if "If-Match" not in headers:
                missing.append(f"If-Match on {method} {path}")
        if _sends_etag(source, module_source):
            checked["ETag"] += 1
            answers = [r for status, r in operation["responses"].items() if status.startswith("2")]
            if not answers or not all("ETag" in r.get("headers", {}) for r in answers):
                missing.append(f"ETag on {method} {path}")
    assert missing == []
    assert all(count > 0 for count in checked.values()), checked  # the scan found the views it is about


def test_if_match_is_declared_only_where_a_view_reads_it(client, app):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    readers = {(p, m) for p, m, _, _, reads_if_match in _operations(app) if reads_if_match}
    declared = {(path, method) for path, operations in document["paths"].items()
                for method, operation in operations.items()
                if isinstance(operation, dict) and "If-Match" in _header_parameters(operation)}
    assert declared == readers
