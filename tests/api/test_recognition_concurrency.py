"""Two connections deciding or paying the same claim at once: one wins, the other is told it is done,
and the journal has one entry. Real commits (committed_app), so the row lock is what is tested."""

import threading

from sqlalchemy import func, select

from ledger.journal.models import JournalEntry
from tests.api.recognition_flow import BASE, claim, decide
from tests.api.test_errors import assert_problem
from tests.conftest import Api, make_party


def _race(app, token, path, body, n=4):
    barrier, results = threading.Barrier(n), []

    def call():
        client = app.test_client()
        barrier.wait()
        response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        results.append((response.status_code, (response.get_json() or {}).get("code")))

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _entries(app, source_type):
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        count = s.execute(select(func.count()).select_from(JournalEntry)
                          .where(JournalEntry.source_type == source_type)).scalar()
        s.close()
    return count


def test_concurrent_decisions_and_payments_apply_once(committed_app):
    api = Api(committed_app, committed_app.test_client())
    admin = api.token("admin")
    tokens = {}
    for code in ("FR", "DE"):
        make_party(api, admin, code)
        tokens[code] = api.token("partner", code)
    made = claim(api, tokens)
    decided = _race(committed_app, tokens["FR"], f"{BASE}/cost-claims/{made['id']}/decision",
                    {"accepted": True, "decided_on": "2024-04-01"})
    assert sorted(decided)[0] == (200, None) and decided.count((200, None)) == 1
    assert {r for r in decided if r[0] != 200} <= {(409, "already_decided"), (409, "conflict")}
    assert _entries(committed_app, "cost_claim") == 1
    paid = _race(committed_app, tokens["FR"], f"{BASE}/cost-claims/{made['id']}/payment", {"paid_on": "2024-05-01"})
    assert paid.count((200, None)) == 1
    assert _entries(committed_app, "cost_claim_payment") == 1
    assert_problem(decide(api, tokens["FR"], made["id"], "2024-04-02"), 409, "already_decided")
