"""Hostile and oversized documents get a clean 4xx through the API and nothing is stored; every committed
UBL fixture goes through intake (dry run) and adds up to its own PayableAmount."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger.invoices.models import Invoice
from tests.api.agreements_helpers import create_agreement
from tests.api.invoices_helpers import (
    I,
    json_invoice,
    march_lines,
    post_json,
    post_xml,
    setup_agreement,
    ubl,
)
from tests.api.test_errors import assert_problem
from tests.conftest import make_party

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
FIFTY_MB = 50 * 1024 * 1024
ARITHMETIC = {"line_sum_mismatch", "allowance_total_mismatch", "charge_total_mismatch", "tax_exclusive_mismatch",
              "tax_total_mismatch", "tax_inclusive_mismatch", "payable_mismatch", "tax_breakdown_missing",
              "taxable_amount_mismatch", "tax_amount_mismatch", "total_mismatch"}


def nothing_stored(session) -> bool:
    return session.execute(select(func.count()).select_from(Invoice)).scalar() == 0


@pytest.fixture
def agreement(api, admin, officer, parties):
    return setup_agreement(api, admin, officer, parties["RW"])


def _with_doctype(document: bytes, doctype: bytes, entity: bytes) -> bytes:
    declaration, body = document.split(b"?>", 1)
    body = body.replace(b"<cbc:ID>RW-EVIL</cbc:ID>", b"<cbc:ID>" + entity + b"</cbc:ID>", 1)
    return declaration + b"?>\n" + doctype + body


def test_billion_laughs(api, parties, agreement, session):
    levels = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10))) for n in range(1, 10)]
    document = _with_doctype(ubl("RW-EVIL", agreement["reference"], march_lines(agreement)),
                             b"<!DOCTYPE Invoice [" + b"".join(levels) + b"]>\n", b"&lol9;")
    problem = assert_problem(post_xml(api, document, parties["RW"]), 422, "invalid_xml")
    assert "lol" not in problem["detail"]
    assert nothing_stored(session)


def test_xxe_file_read(api, parties, agreement, session, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = b'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "' + secret.as_uri().encode() + b'">]>\n'
    document = _with_doctype(ubl("RW-EVIL", agreement["reference"], march_lines(agreement)), doctype, b"&xxe;")
    for query in ("", "?dry_run=true"):
        response = post_xml(api, document, parties["RW"], query)
        assert_problem(response, 422, "invalid_xml")
        assert b"TOP-SECRET" not in response.data
    assert nothing_stored(session)


def test_fifty_megabytes_refused_by_content_length(api, parties, agreement, session):
    body = b"<" + b"x" * (FIFTY_MB - 1)
    headers = {"Authorization": f"Bearer {parties['RW']}", "Idempotency-Key": "big-1"}
    response = api.client.post(I, data=body, content_type="application/xml", headers=headers)
    problem = assert_problem(response, 413, "payload_too_large")
    assert "10485760" in problem["detail"]
    response = api.client.post(I, data=body, content_type="application/json", headers=headers)
    assert_problem(response, 413, "payload_too_large")
    assert nothing_stored(session)


class _Endless(io.RawIOBase):
    """A body of `size` bytes produced on demand, counting what the server read."""

    def __init__(self, size: int):
        self.size, self.read_so_far = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_so_far)
        buffer[:n] = b"<" * n
        self.read_so_far += n
        return n


def test_fifty_megabytes_chunked_refused_while_reading(api, parties, agreement, session):
    """No Content-Length (chunked transfer): the body is refused once reading passes the limit."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(path=I, method="POST", content_type="application/xml",
                             headers={"Authorization": f"Bearer {parties['RW']}",
                                      "Transfer-Encoding": "chunked"}).get_environ()
    stream = _Endless(FIFTY_MB)
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": stream, "wsgi.input_terminated": True})
    app_iter, status, _headers = run_wsgi_app(api.app, environ, buffered=True)
    body = b"".join(app_iter)
    assert status.startswith("413") and b"payload_too_large" in body, (body, stream.read_so_far)
    assert stream.read_so_far <= 11 * 1024 * 1024  # stopped just past the limit, never read it all
    assert nothing_stored(session)


def test_not_an_invoice_and_broken_xml(api, parties, agreement, session):
    other = b'<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>'
    assert_problem(post_xml(api, other, parties["RW"]), 422, "not_an_invoice")
    broken = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><unclosed>'
    problem = assert_problem(post_xml(api, broken, parties["RW"]), 422, "invalid_xml")
    assert problem["errors"]
    missing = ubl("RW-1", agreement["reference"], march_lines(agreement)).replace(b"<cbc:IssueDate>2026-04-02"
                                                                                  b"</cbc:IssueDate>", b"")
    problem = assert_problem(post_xml(api, missing, parties["RW"]), 422, "invalid_invoice")
    assert "cbc:IssueDate" in problem["errors"]
    assert nothing_stored(session)


def test_xml_intake_replays_with_an_idempotency_key(api, parties, agreement, session):
    document = ubl("RW-IDEM", agreement["reference"], march_lines(agreement))
    headers = {"Authorization": f"Bearer {parties['RW']}", "Idempotency-Key": "ubl-1"}
    first = api.client.post(I, data=document, content_type="application/xml", headers=headers)
    second = api.client.post(I, data=document, content_type="application/xml", headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true" and second.get_json()["id"] == first.get_json()["id"]
    assert session.execute(select(func.count()).select_from(Invoice)).scalar() == 1


def test_json_duplicate_in_a_dry_run_is_still_409(api, parties, agreement):
    assert post_json(api, json_invoice(agreement), parties["RW"]).status_code == 201
    assert_problem(post_json(api, json_invoice(agreement), parties["RW"], "?dry_run=true"), 409, "duplicate_invoice")


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.xml")), ids=lambda p: p.name)
def test_committed_fixtures_add_up_through_intake(api, admin, officer, parties, path):
    for code in ("CH", "IT", "JP", "PH"):
        make_party(api, admin, code)
    for reference, payer, payee in (("GB-AL-2026-01", "GB", "AL"), ("CH-IT-2025-04", "CH", "IT"),
                                    ("JP-PH-2026-02", "JP", "PH")):
        create_agreement(api, admin, reference=reference, payer=payer, payee=payee)
    response = post_xml(api, path.read_bytes(), officer, "?dry_run=true")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["computed_payable"] == body["total"]
    assert not {f["code"] for f in body["findings"]} & ARITHMETIC
    assert body["payable"] == (f"-{body['total']}" if body["document_type"] == "credit_note" else body["total"])
