"""Officers deciding at the same moment: a decision is taken once, and an obligation is invoiced once."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.journal.models import Account, JournalEntry
from ledger.journal.service import balances
from tests.api.invoices_helpers import I, json_invoice, post_json, setup_agreement
from tests.conftest import Api, make_party


@pytest.fixture
def books(committed_app):
    api = Api(committed_app, committed_app.test_client())
    admin, officer = api.token("admin"), api.token("finance_officer")
    for code in ("GB", "RW"):
        make_party(api, admin, code)
    rw = api.token("partner", "RW")
    return api, officer, rw, setup_agreement(api, admin, officer, rw)


def _race(app, officer, calls) -> list:
    """Run each (invoice id, body) approval in its own thread, all released together; their responses."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def approve(index, invoice_id, body):
        client = Api(app, app.test_client())
        barrier.wait()
        response = client.post(f"{I}/{invoice_id}/approve", json=body, token=officer)
        results[index] = (response.status_code, response.get_json().get("code"))

    threads = [threading.Thread(target=approve, args=(n, *call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _read(app, fn):
    with app.app_context():
        session = app.extensions["ledger.db"].new_session()
        try:
            return fn(session)
        finally:
            session.close()


def test_the_same_invoice_approved_twice_at_once_posts_once(committed_app, books):
    api, officer, rw, agreement = books
    invoice = post_json(api, json_invoice(agreement), rw).get_json()
    results = _race(committed_app, officer, [(invoice["id"], {}), (invoice["id"], {})])
    assert sorted(results, key=str) == [(200, None), (409, "invalid_transition")] or \
        sorted(results, key=str) == [(200, None), (409, "conflict")]
    entries = _read(committed_app, lambda s: s.execute(select(func.count()).select_from(JournalEntry)
                                                       .where(JournalEntry.source_type == "invoice_approval")).scalar())
    assert entries == 1


def test_two_invoices_for_the_same_obligations_invoice_them_once(committed_app, books):
    api, officer, rw, agreement = books
    first = post_json(api, json_invoice(agreement, "RW-1"), rw).get_json()
    second = post_json(api, json_invoice(agreement, "RW-2"), rw).get_json()
    assert {f["code"] for f in second["findings"]} == {"already_invoiced"}
    overrides = {"overrides": [{"line": line["line"], "reason": "paid twice on purpose"}
                               for line in second["lines"]]}
    results = _race(committed_app, officer, [(first["id"], {}), (second["id"], overrides)])
    assert results[1] == (200, None)
    assert results[0] in ((200, None), (409, "obligation_invoiced"))
    owed = _read(committed_app, lambda s: {a.purpose: b for a, b in balances(
        s, account_filter=Account.agreement_id == agreement["id"])})
    # March's obligations were debited exactly once: only February's instalment is still owed as accrued
    assert owed["obligations"] == Decimal("-5000000.00")
