"""Tokens, roles, and the rule that no view is reachable without an explicit permission."""

from flask.views import MethodView

from ledger.auth import PUBLIC_ENDPOINTS
from tests.api.test_errors import assert_problem


def test_missing_token_is_401(api):
    response = api.get("/api/v1/parties")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_invalid_token_is_401(api):
    assert_problem(api.get("/api/v1/parties", token="rl_forged"), 401, "invalid_token")


def test_malformed_header_is_401(api):
    response = api.client.get("/api/v1/parties", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_problem(response, 401, "unauthorized")


def test_revoked_token_is_401_like_an_unknown_one(api, runner, admin):
    assert api.get("/api/v1/parties", token=admin).status_code == 200
    listed = runner.invoke(args=["tokens", "list"]).output
    token_id = listed.splitlines()[-1].split("\t")[0]
    result = runner.invoke(args=["tokens", "revoke", token_id])
    assert result.exit_code == 0, result.output
    revoked = assert_problem(api.get("/api/v1/parties", token=admin), 401, "invalid_token")
    unknown = assert_problem(api.get("/api/v1/parties", token="rl_" + "x" * 43), 401, "invalid_token")
    assert {k: v for k, v in revoked.items() if k != "request_id"} == \
        {k: v for k, v in unknown.items() if k != "request_id"}


def test_wrong_role_is_403(api, parties):
    response = api.post("/api/v1/parties", json={"code": "IT", "name": "Italy"}, token=parties["AL"])
    assert_problem(response, 403, "forbidden")


def test_tokens_create_prints_the_token_alone_on_the_last_line(api, runner):
    result = runner.invoke(args=["tokens", "create", "--role", "auditor", "--name", "Court of Audit"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("rl_") and " " not in token
    assert api.get("/api/v1/audit", token=token).status_code == 200


def test_tokens_are_stored_only_as_hashes(runner, session):
    from sqlalchemy import text

    token = runner.invoke(args=["tokens", "create", "--role", "admin", "--name", "ops"]).output.split()[-1]
    stored = session.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_partner_token_needs_a_known_party(runner):
    result = runner.invoke(args=["tokens", "create", "--role", "partner", "--party", "ZZ", "--name", "x"])
    assert result.exit_code != 0 and "no party ZZ" in result.output
    result = runner.invoke(args=["tokens", "create", "--role", "partner", "--name", "x"])
    assert result.exit_code != 0 and "--party" in result.output


def _view_methods(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if view_class is not None and issubclass(view_class, MethodView):
            for method in view_class.methods:
                yield rule.endpoint, method, getattr(view_class, method.lower())
        else:
            yield rule.endpoint, ",".join(sorted(rule.methods)), view


def test_every_view_declares_who_may_call_it(app):
    """A view without @requires(...) or @public would be open by accident: this test refuses it."""
    undeclared = [
        f"{endpoint} {method}" for endpoint, method, func in _view_methods(app)
        if endpoint not in PUBLIC_ENDPOINTS and not getattr(func, "ledger_roles", None)
    ]
    assert undeclared == []
