"""Idempotency-Key on POST: replay, reuse with another body, failures remembered, applied once."""

import threading

from sqlalchemy import func, select

from ledger.parties.models import Party
from tests.api.test_errors import assert_problem


def _post(api, token, body, key):
    return api.post("/api/v1/parties", json=body, token=token, headers={"Idempotency-Key": key})


def test_same_key_same_body_replays_the_first_response(api, admin, session):
    body = {"code": "AL", "name": "Albania"}
    first = _post(api, admin, body, "k-1")
    second = _post(api, admin, body, "k-1")
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert second.get_json() == first.get_json()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert session.execute(select(func.count()).select_from(Party)).scalar() == 1


def test_json_spacing_and_key_order_do_not_make_another_request(api, admin):
    first = api.client.post("/api/v1/parties", data='{"code":"AL","name":"Albania"}', content_type="application/json",
                            headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "k-s"})
    second = api.client.post("/api/v1/parties", data='{ "name": "Albania", "code": "AL" }',
                             content_type="application/json",
                             headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "k-s"})
    assert first.status_code == 201 and second.headers.get("Idempotent-Replayed") == "true"


def test_same_key_other_body_is_422(api, admin):
    assert _post(api, admin, {"code": "AL", "name": "Albania"}, "k-2").status_code == 201
    assert_problem(_post(api, admin, {"code": "RW", "name": "Rwanda"}, "k-2"), 422, "idempotency_key_reused")


def test_keys_are_per_principal(api, admin):
    other_admin = api.token("admin", name="second admin")
    assert _post(api, admin, {"code": "AL", "name": "Albania"}, "shared").status_code == 201
    response = _post(api, other_admin, {"code": "RW", "name": "Rwanda"}, "shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


def test_a_failed_request_is_remembered_under_its_key(api, admin, session):
    bad = {"code": "AL", "name": ""}
    assert _post(api, admin, bad, "k-3").status_code == 422
    replay = _post(api, admin, bad, "k-3")
    assert replay.status_code == 422 and replay.headers["Idempotent-Replayed"] == "true"
    assert_problem(_post(api, admin, {"code": "AL", "name": "Albania"}, "k-3"), 422, "idempotency_key_reused")
    assert session.execute(select(func.count()).select_from(Party)).scalar() == 0


def test_get_ignores_the_key(api, admin):
    response = api.get("/api/v1/parties", token=admin, headers={"Idempotency-Key": "k-4"})
    assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers


def test_concurrent_requests_with_one_key_apply_once(committed_app):
    """Two threads, two connections, one key: exactly one party is created, the other call replays or waits."""
    from tests.conftest import Api

    api = Api(committed_app, committed_app.test_client())
    admin = api.token("admin")
    body = {"code": "AL", "name": "Albania"}
    results = []
    barrier = threading.Barrier(4)

    def call():
        client = committed_app.test_client()
        barrier.wait()
        response = client.post("/api/v1/parties", json=body,
                               headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "race"})
        results.append(response.status_code)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(201) >= 1 and set(results) <= {201, 409}
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        assert s.execute(select(func.count()).select_from(Party)).scalar() == 1
        s.close()
