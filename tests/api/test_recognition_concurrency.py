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


def test_two_enforcing_states_racing_on_one_order_enforce_it_once(committed_app):
    """The order's row lock makes the second enforcement see the first: one 200, one 409 already_enforced."""
    from ledger.recognition.models import Recognition
    from tests.api.recognition_flow import order

    api = Api(committed_app, committed_app.test_client())
    admin = api.token("admin")
    tokens = {}
    for code in ("FR", "DE", "ES"):
        make_party(api, admin, code)
        tokens[code] = api.token("partner", code)
    made = order(api, tokens["FR"], "FR", "2024-01-15")
    paths = {}
    for state in ("DE", "ES"):
        rec = api.post(f"{BASE}/return-orders/{made['id']}/recognitions",
                       json={"enforcing_state": state, "requested_on": "2024-01-20"}, token=tokens["FR"]).get_json()
        api.post(f"{BASE}/recognitions/{rec['id']}/decision", json={"recognised": True, "decided_on": "2024-01-25"},
                 token=tokens[state])
        paths[state] = f"{BASE}/recognitions/{rec['id']}/enforcement"
    barrier, results = threading.Barrier(2), []

    def enforce(state):
        client = committed_app.test_client()
        barrier.wait()
        response = client.post(paths[state], json={"enforced_on": "2024-02-01"},
                               headers={"Authorization": f"Bearer {tokens[state]}"})
        results.append((response.status_code, (response.get_json() or {}).get("code")))

    threads = [threading.Thread(target=enforce, args=(state,)) for state in ("DE", "ES")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count((200, None)) == 1, results
    assert {r for r in results if r[0] != 200} <= {(409, "already_enforced"), (409, "conflict"), (503, "unavailable")}
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        enforced = s.execute(select(func.count()).select_from(Recognition).where(
            Recognition.return_order_id == made["id"], Recognition.status == "enforced")).scalar()
        s.close()
    assert enforced == 1
