"""Every error is problem+json with a stable code; a 500 tells nothing but the request id."""

import pytest

from ledger.errors import PROBLEM_JSON


def assert_problem(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert body["status"] == status and body["code"] == code
    assert body["title"] and body["detail"] and body["type"]
    return body


def test_unknown_path_is_problem_404(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_problem_405(api, admin):
    response = api.client.delete("/api/v1/parties", headers={"Authorization": f"Bearer {admin}"})
    body = assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"] and body


def test_bad_json_is_400_invalid_json(api, admin):
    response = api.client.post("/api/v1/parties", data="{not json", content_type="application/json",
                               headers={"Authorization": f"Bearer {admin}"})
    assert_problem(response, 400, "invalid_json")


def test_unknown_field_is_422_naming_it(api, admin):
    response = api.post("/api/v1/parties", json={"code": "AL", "name": "Albania", "colour": "red"}, token=admin)
    body = assert_problem(response, 422, "validation_error")
    assert "colour" in body["errors"]


def test_missing_field_is_422_naming_it(api, admin):
    body = assert_problem(api.post("/api/v1/parties", json={"code": "AL"}, token=admin), 422, "validation_error")
    assert list(body["errors"]) == ["name"]


def test_nested_error_names_the_path(api, admin):
    body = {"code": "AL", "name": "Albania", "bank_accounts": [{"iban": "AL00 0000", "currency": "ALL"}]}
    problem = assert_problem(api.post("/api/v1/parties", json=body, token=admin), 422, "validation_error")
    assert "bank_accounts.0.iban" in problem["errors"]


@pytest.fixture
def failing_app(database_url):
    from ledger import create_app
    from ledger.auth import public

    app = create_app({"TESTING": False, "LEDGER_DATABASE_URL": database_url})

    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail: password=hunter2")

    yield app
    app.extensions["ledger.db"].engine.dispose()


def test_500_hides_the_cause_and_carries_the_request_id(failing_app, capsys):
    response = failing_app.test_client().get("/boom", headers={"X-Request-Id": "req-12345678"})
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert response.headers["X-Request-Id"] == "req-12345678" == body["request_id"]
    logged = capsys.readouterr().err
    assert "req-12345678" in logged and "RuntimeError" in logged


def test_every_response_has_a_request_id(client):
    assert len(client.get("/api/v1/health").headers["X-Request-Id"]) >= 8
