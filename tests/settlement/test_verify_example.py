"""docs/verify_statement.py, the example README points partners to, verifies a statement the ledger signed and
refuses a changed one; the canonical JSON it rebuilds is the one the ledger signs (ensure_ascii=False)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from ledger.integrity import canonical_json
from tests.settlement.test_settlement import books  # noqa: F401  (the fixture: March and April booked)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "verify_statement.py"


def _run(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLE), *map(str, paths)], capture_output=True, text=True,
                          timeout=60)


def test_the_example_verifies_a_signed_statement_and_refuses_a_changed_one(api, officer, books, tmp_path):  # noqa: F811
    assert api.post("/api/v1/settlements/2026-03/close", token=officer).status_code == 200
    document = api.get("/api/v1/settlements/2026-03", token=officer).get_json()["documents"][0]
    statement, keys = tmp_path / "statement.json", tmp_path / "signing-key.json"
    statement.write_text(json.dumps(document))
    keys.write_text(json.dumps(api.get("/api/v1/signing-key").get_json()))
    good = _run(statement, keys)
    assert good.returncode == 0, good.stderr
    assert document["statement"]["signing_key_id"] in good.stdout
    document["statement"]["agreements"][0]["closing"] = "0.00"
    statement.write_text(json.dumps(document))
    bad = _run(statement, keys)
    assert bad.returncode != 0 and "NOT valid" in bad.stderr


def test_the_signed_bytes_are_sorted_compact_utf8_json():
    content = {"b": "Tiranë", "a": [1, {"d": Decimal("2.50"), "c": None}]}
    expected = json.dumps({"a": [1, {"c": None, "d": "2.50"}], "b": "Tiranë"}, sort_keys=True,
                          separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_json(content) == expected == '{"a":[1,{"c":null,"d":"2.50"}],"b":"Tiranë"}'.encode()


def test_the_readme_and_the_openapi_document_say_how_the_statement_is_canonicalised(client):
    readme = (EXAMPLE.parents[1] / "README.md").read_text()
    assert "ensure_ascii=False" in readme and "docs/verify_statement.py" in readme and "openssl pkeyutl" in readme
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    documents = schemas["SettlementView"]["properties"]["documents"]["description"]
    assert "ensure_ascii=False" in documents and "signing_key_id" in documents
