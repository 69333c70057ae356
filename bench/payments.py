"""Benchmark: propose, approve, release (pain.001 built and validated against the ISO schema) and export a
payment batch of N transfers, through the API.

    python -m bench.payments [--transfers 10000] [--databases sqlite,postgresql]

Seeds N approved invoices GB owes to RW (in bulk: the bench times the payments, not the invoices), then times
`POST /payment-batches` (the proposal), two approvals, `POST /release` (the file built and validated, one journal
entry, N invoices settled) and `GET /pain001`, and checks the file: N transactions, the control sum.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from decimal import Decimal

from lxml import etree

from bench._db import app_for, scratch_database
from ledger.auth import ApiToken, hash_token, new_token
from ledger.timeutil import today, utcnow
from tests.api.agreements_helpers import agreement_body
from tests.api.invoices_helpers import TERMS

GB_ACCOUNT = "GB33BUKB20201555555555"
RW_IBAN = "GB29NWBK60161331926819"


def _token(app, role: str, name: str) -> str:
    from ledger import db

    token = new_token()
    with app.app_context():
        db.session().add(ApiToken(name=name, role=role, token_hash=hash_token(token)))
        db.commit()
    return token


def _ok(response, status=200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def _seed_invoices(app, agreement_id: int, count: int) -> Decimal:
    from ledger import db
    from ledger.invoices.models import Invoice

    day = today()
    rows, total = [], Decimal(0)
    for n in range(count):
        amount = Decimal(1000 + n % 997) + Decimal(n % 100) / 100
        total += amount
        rows.append({"agreement_id": agreement_id, "payee_code": "RW", "payer_code": "GB", "number": f"RW-B-{n:06d}",
                     "document_type": "invoice", "issued_on": day - timedelta(days=30), "due_on": day,
                     "currency": "GBP", "period": "2026-03", "payment_reference": None,
                     "payment_reference_is_rf": False, "total": amount, "payable": amount, "amount_open": amount,
                     "status": "approved", "source": "json", "advance_offset": Decimal(0), "version": 1,
                     "created_at": utcnow()})
    with app.app_context():
        session = db.session()
        session.bulk_insert_mappings(Invoice, rows)
        db.commit()
    return total


def run(url: str, count: int) -> dict:
    app = app_for(url)
    client = app.test_client()
    admin = _token(app, "admin", "bench admin")
    preparer, first, second = (_token(app, "finance_officer", f"bench officer {n}") for n in range(3))
    auth = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    for code, iban in (("GB", GB_ACCOUNT), ("RW", RW_IBAN)):
        _ok(client.post("/api/v1/parties", json={"code": code, "name": f"Republic {code}",
                                                 "bank_accounts": [{"iban": iban, "currency": "GBP"}]},
                        headers=auth(admin)), 201)
    agreement = _ok(client.post("/api/v1/agreements", json=agreement_body(terms=TERMS), headers=auth(admin)), 201)
    total = _seed_invoices(app, agreement["id"], count)
    day = today()
    body = {"debtor_account": GB_ACCOUNT, "due_by": (day + timedelta(days=1)).isoformat(),
            "execution_date": (day + timedelta(days=1)).isoformat()}
    marks = {}
    started = time.perf_counter()
    batch = _ok(client.post("/api/v1/payment-batches", json=body, headers=auth(preparer)), 201)
    marks["propose_s"] = time.perf_counter() - started
    assert len(batch["items"]) == count and Decimal(batch["total"]) == total, batch["total"]
    started = time.perf_counter()
    for token in (first, second)[:batch["approvals_required"]]:
        batch = _ok(client.post(f"/api/v1/payment-batches/{batch['id']}/approve", json={"digest": batch["digest"]},
                                headers=auth(token)))
    marks["approve_s"] = time.perf_counter() - started
    started = time.perf_counter()
    released = _ok(client.post(f"/api/v1/payment-batches/{batch['id']}/release", headers=auth(preparer)))
    marks["release_s"] = time.perf_counter() - started
    assert released["status"] == "released"
    started = time.perf_counter()
    response = client.get(f"/api/v1/payment-batches/{batch['id']}/pain001", headers=auth(preparer))
    marks["export_s"] = time.perf_counter() - started
    document = response.data
    tree = etree.fromstring(document)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    assert tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == str(count)
    assert Decimal(tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns)) == total
    app.extensions["ledger.db"].engine.dispose()
    return {"transfers": count, "file_bytes": len(document), **marks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL for scratch databases")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        with scratch_database(kind, *([args.database_url] if args.database_url else [])) as url:
            result = run(url, args.transfers)
        print(f"{kind}: {result['transfers']} transfers, file {result['file_bytes']:,} bytes; "
              f"propose {result['propose_s']:.2f} s, approve {result['approve_s']:.2f} s, "
              f"release (build + XSD + post + settle) {result['release_s']:.2f} s, export {result['export_s']:.2f} s")


if __name__ == "__main__":
    main()
