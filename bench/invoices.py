"""Benchmark: one large UBL invoice through the API — parse, check every line against the ledger, store,
approve (one journal entry, obligations marked invoiced).

    python -m bench.invoices [--people 2500] [--databases sqlite,postgresql]

An agreement with PEOPLE returnees accepted in March accrues 2 x PEOPLE obligations (a fee and a support
month each); the invoice claims them all, one UBL line each. Prints the document size and the seconds
taken by a dry run, the stored intake and the approval.
"""

from __future__ import annotations

import argparse
import time

from bench._db import app_for, scratch_database
from ledger.auth import ApiToken, hash_token, new_token
from tests.api.agreements_helpers import agreement_body, people
from tests.api.invoices_helpers import TERMS, march_lines, ubl

A, I = "/api/v1/agreements", "/api/v1/invoices"  # noqa: E741  (the tests' names for the two paths)


def _token(app, role: str, party: str | None = None) -> str:
    from ledger import db

    token = new_token()
    with app.app_context():
        session = db.session()
        session.add(ApiToken(name=f"bench {role}", role=role, party_code=party, token_hash=hash_token(token)))
        db.commit()
    return token


def _ok(response, status=200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def run(url: str, count: int) -> dict:
    app = app_for(url)
    client = app.test_client()
    admin = _token(app, "admin")
    def auth(token):
        return {"Authorization": f"Bearer {token}"}
    for code in ("GB", "RW"):
        _ok(client.post(f"{A.replace('agreements', 'parties')}", json={"code": code, "name": code},
                        headers=auth(admin)), 201)
    officer, rw = _token(app, "finance_officer"), _token(app, "partner", "RW")
    agreement = _ok(client.post(A, json=agreement_body(terms=TERMS), headers=auth(admin)), 201)
    aid = agreement["id"]
    items = people("BENCH", count, "2026-03-02", "2026-03-03")
    for start in range(0, count, 10_000):
        _ok(client.post(f"{A}/{aid}/returnees/batch", json={"items": items[start:start + 10_000]}, headers=auth(rw)))
    _ok(client.post(f"{A}/{aid}/accrue", json={"period": "2026-03"}, headers=auth(officer)))
    returnees, cursor = [], None
    while True:
        page = _ok(client.get(f"{A}/{aid}/returnees?limit=1000" + (f"&cursor={cursor}" if cursor else ""),
                              headers=auth(officer)))
        returnees += [{"id": r["id"], "pseudonym": r["pseudonym"]} for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    agreement["returnees"] = returnees
    document = ubl("RW-BENCH-1", agreement["reference"], march_lines(agreement))
    headers = {**auth(rw), "Content-Type": "application/xml"}
    started = time.perf_counter()
    dry = _ok(client.post(f"{I}?dry_run=true", data=document, headers=headers))
    dry_s = time.perf_counter() - started
    assert dry["status"] == "accepted", dry["findings"][:3]
    started = time.perf_counter()
    invoice = _ok(client.post(I, data=document, headers=headers), 201)
    intake_s = time.perf_counter() - started
    started = time.perf_counter()
    approved = _ok(client.post(f"{I}/{invoice['id']}/approve", json={}, headers=auth(officer)))
    approve_s = time.perf_counter() - started
    assert approved["status"] == "approved"
    app.extensions["ledger.db"].engine.dispose()
    return {"lines": len(invoice["lines"]), "bytes": len(document), "dry_run_s": dry_s, "intake_s": intake_s,
            "approve_s": approve_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2500)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server for the scratch database")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        with scratch_database(kind, *([args.database_url] if args.database_url else [])) as url:
            figures = run(url, args.people)
        print(f"{kind:<11} {figures['lines']:>6} lines {figures['bytes'] / 1e6:5.2f} MB   dry run "
              f"{figures['dry_run_s']:6.2f} s   intake {figures['intake_s']:6.2f} s   approve "
              f"{figures['approve_s']:6.2f} s")


if __name__ == "__main__":
    main()
