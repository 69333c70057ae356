"""Security matrix, generic over the URL map and the OpenAPI document so new endpoints are covered as they land.

* every /api/v1 view × every role (and none) against its `@requires` declaration: 401 / 403 / let through;
* partner isolation: a table of resources (factory + probes), each probed with an object of the partner's own
  party and one of another party: own → visible, other → 404 or absent from lists (never 403, never listed);
* security headers on every answer, whatever its status;
* SQL injection probes in every query parameter and path segment: no 5xx, no data of others, nothing dropped;
* header injection (CR/LF in X-Request-Id, Idempotency-Key): nothing echoed, no header added;
* oversized bodies: 413 problem+json.
Add a row to RESOURCES when a feature with party-scoped objects lands.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from flask.views import MethodView
from sqlalchemy import text

from ledger import SECURITY_HEADERS
from ledger.auth import PUBLIC_ENDPOINTS, ROLES
from ledger.errors import PROBLEM_JSON
from tests.api.test_errors import assert_problem

SPEC = json.loads((Path(__file__).resolve().parents[2] / "contracts" / "openapi.json").read_text())
PREFIX = "/api/v1"
CALLERS = (*ROLES, "anonymous")


# ---------------------------------------------------------------------------------------------- the URL map
def _declared_views(app):
    """(endpoint, method, path with placeholders, roles) for every guarded /api/v1 view."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX) or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if view_class is not None and issubclass(view_class, MethodView):
            methods = {m: getattr(view_class, m.lower()) for m in view_class.methods}
        else:
            methods = {m: view for m in rule.methods - {"HEAD", "OPTIONS"}}
        for method, func in sorted(methods.items()):
            roles = getattr(func, "ledger_roles", ())
            if roles and roles != ("public",):
                yield rule.endpoint, method, _placeholder_path(rule.rule), roles


def _placeholder_path(rule: str) -> str:
    """A path naming objects that do not exist: int → 999999, uuid → a fresh one, anything else → ZZ."""
    def fill(match: re.Match) -> str:
        converter = match.group(1) or "string"
        return {"int": "999999", "uuid": str(uuid.uuid4())}.get(converter, "ZZ")
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", fill, rule)


@pytest.fixture
def callers(parties, admin, officer, auditor) -> dict:
    return {"admin": admin, "finance_officer": officer, "auditor": auditor, "partner": parties["AL"],
            "anonymous": None}


def _send(api, method, path, token, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", {}))
    body = kw.pop("json", {} if method in ("POST", "PUT", "PATCH") else None)
    response = api.client.open(path, method=method, json=body, headers=headers, **kw)
    response.get_data()  # consume streamed bodies (the journal export) so their context closes
    response.close()
    return response


def test_every_view_answers_each_role_as_it_declares(app, api, callers):
    """401 without a token, 403 for a role not declared, and for a declared role neither (nor a 5xx)."""
    mismatches, seen = [], 0
    for _endpoint, method, path, roles in _declared_views(app):
        for caller in CALLERS:
            seen += 1
            response = _send(api, method, path, callers[caller])
            status = response.status_code
            expected = 401 if caller == "anonymous" else (403 if caller not in roles else None)
            ok = status == expected if expected else status not in (401, 403) and status < 500
            if not ok or (status >= 400 and response.mimetype != PROBLEM_JSON):
                mismatches.append(f"{method} {path} as {caller}: {status} (declared {roles})")
    assert seen >= 5 * len(CALLERS)
    assert mismatches == []


# --------------------------------------------------------------------------------------- partner isolation
@dataclass(frozen=True)
class Probe:
    """`path` is formatted with the object's fields. `listed(body, obj)` says whether a list shows the object;
    without it the path reads one object: 200 for its own party, 404 for another's."""

    path: str
    listed: Callable[[dict, dict], bool] | None = None


@dataclass(frozen=True)
class Resource:
    name: str
    make: Callable[[SimpleNamespace, str, str], dict]  # (ctx, payer-like side, host-like side) -> fields
    probes: tuple[Probe, ...]


def _journal_entry(ctx, payer: str, host: str) -> dict:
    from ledger.journal import service
    from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
    from ledger.money import Money

    agreement = 7000 + len(ctx.made)
    money = Money.of("123.45", "GBP")
    cost = AccountKey("returns_costs", "GBP", payer, host, agreement)
    owed = AccountKey("obligations", "GBP", host, payer, agreement)
    source_id = f"iso-{uuid.uuid4().hex[:8]}"
    [entry_id] = service.post_entries(ctx.session, [EntryDraft(
        date(2026, 3, 1), (debit(cost, money), credit(owed, money)), "isolation", source_id)])
    ctx.session.commit()
    account = f"obligations:{host}:{payer}:{agreement}:GBP"
    ctx.made.append(entry_id)
    return {"id": entry_id, "source_id": source_id, "account": account, "agreement": agreement}


def _has_entry(body, obj):
    return any(item["id"] == obj["id"] for item in body.get("items", []))


def _has_account(body, obj):
    return any(item["code"] == obj["account"] for item in body.get("items", []))


RESOURCES = [
    Resource("journal entries", _journal_entry, (
        Probe("/api/v1/journal/entries", _has_entry),
        Probe("/api/v1/journal/entries?source_id={source_id}", _has_entry),
        Probe("/api/v1/journal/entries?account={account}", _has_entry),
        Probe("/api/v1/journal/entries?source_type=isolation&limit=1000", _has_entry),
        Probe("/api/v1/accounts", _has_account),
        Probe("/api/v1/accounts?agreement_id={agreement}", _has_account),
        Probe("/api/v1/accounts?party=GB&purpose=obligations", _has_account),
    )),
]
# The partner under test is AL; "own" objects have AL as a side, "other" ones are between GB and RW.
MATRIX = [pytest.param(r, p, own, id=f"{r.name}:{p.path}:{'own' if own else 'other'}")
          for r in RESOURCES for p in r.probes for own in (True, False)]


@pytest.mark.parametrize("resource,probe,own", MATRIX)
def test_partner_sees_its_own_objects_and_nothing_of_others(api, session, parties, auditor, resource, probe, own):
    ctx = SimpleNamespace(api=api, session=session, parties=parties, made=[])
    obj = resource.make(ctx, "GB", "AL") if own else resource.make(ctx, "GB", "RW")
    path = probe.path.format(**obj)
    response = api.get(path, token=parties["AL"])
    staff = api.get(path, token=auditor)
    if probe.listed is None:
        assert staff.status_code == 200
        if own:
            assert response.status_code == 200
        else:
            assert_problem(response, 404, "not_found")  # never 403: another party's object does not exist
        return
    assert staff.status_code == 200 and probe.listed(staff.get_json(), obj), "the probe cannot see the object"
    if own:
        assert response.status_code == 200 and probe.listed(response.get_json(), obj)
    else:
        assert response.status_code == 404 or (response.status_code == 200
                                                and not probe.listed(response.get_json(), obj))


# Every partner-visible resource of the features, over the seeded demo (tests/proof/conftest.py). Each row names
# how to find one object (SQL over the demo), a partner that is a side of it (`own`: sees it, 200 or listed), a
# partner that is not (`other`: 404, never 403, never listed), and a forbidden action for the own partner (403).
@dataclass(frozen=True)
class Seeded:
    name: str
    find: str  # SQL giving the object's id (first row)
    own: str
    other: str
    probes: tuple[Probe, ...]
    forbidden: tuple[str, str, dict] | None  # (method, path, body) the own partner may not do: 403


def _listed(key: str = "id"):
    return lambda body, obj: any(str(item.get(key)) == str(obj["id"]) for item in body.get("items", []))


GB_RW = "SELECT id FROM agreements WHERE payer_code = 'GB' AND payee_code = 'RW'"
PERIOD = "2026-03"
SEEDED_RESOURCES = [
    Seeded("agreements", GB_RW, "RW", "AL",
           (Probe("/api/v1/agreements/{id}"), Probe("/api/v1/agreements/{id}/amendments"),
            Probe("/api/v1/agreements?limit=100", _listed())),
           ("POST", "/api/v1/agreements/{id}/accrue", {"period": PERIOD})),
    Seeded("obligations", GB_RW, "GB", "AL",
           (Probe("/api/v1/agreements/{id}/obligations?limit=5"),),
           ("POST", "/api/v1/agreements/{id}/terminate", {"effective_on": "2026-12-31"})),
    Seeded("returnees", "SELECT r.id FROM returnees r JOIN agreements a ON a.id = r.agreement_id "
                        "WHERE a.payee_code = 'RW' ORDER BY r.id", "RW", "AL",
           (Probe("/api/v1/returnees/{id}"), Probe("/api/v1/returnees/{id}/events")),
           None),  # either side may submit returnees and record their events: nothing is forbidden to a side
    Seeded("invoices", "SELECT id FROM invoices WHERE payee_code = 'RW' ORDER BY id", "RW", "AL",
           (Probe("/api/v1/invoices/{id}"), Probe("/api/v1/invoices?limit=100", _listed())),
           ("POST", "/api/v1/invoices/{id}/approve", {})),
    Seeded("statements", "SELECT statement_id FROM statement_parts WHERE party_code = 'GB' ORDER BY statement_id",
           "GB", "RW", (Probe("/api/v1/statements/{id}"), Probe("/api/v1/statements?limit=100", _listed())),
           ("POST", "/api/v1/statements", {})),
    Seeded("transfers", "SELECT id FROM transfers WHERE party_code = 'GB' ORDER BY id", "GB", "AL",
           (Probe("/api/v1/transfers/{id}"), Probe("/api/v1/transfers?limit=1000", _listed())), None),
    Seeded("reconciliation matches", "SELECT id FROM reconciliation_matches WHERE payee_code = 'RW' ORDER BY id",
           "RW", "AL", (Probe("/api/v1/reconciliation/matches/{id}"),
                        Probe("/api/v1/reconciliation/matches?limit=100", _listed())),
           ("POST", "/api/v1/reconciliation/matches/{id}/confirm", {})),
    Seeded("return orders", "SELECT id FROM return_orders WHERE issuing_state = 'FR' ORDER BY id", "FR", "AL",
           (Probe("/api/v1/return-orders/{id}"), Probe("/api/v1/return-orders?limit=100", _listed())), None),
    Seeded("recognitions", "SELECT id FROM recognitions WHERE issuing_state = 'FR' ORDER BY id", "FR", "AL",
           (Probe("/api/v1/recognitions/{id}"),),
           ("POST", "/api/v1/recognitions/{id}/decision", {"recognised": True, "decided_on": "2026-03-01"})),
    Seeded("cost claims", "SELECT id FROM cost_claims WHERE enforcing_state = 'DE' ORDER BY id", "DE", "AL",
           (Probe("/api/v1/cost-claims/{id}"), Probe("/api/v1/cost-claims?limit=100", _listed())),
           ("POST", "/api/v1/cost-claims/{id}/decision", {"accepted": True, "decided_on": "2026-03-01"})),
    Seeded("settlement statements", GB_RW, "RW", "AL",
           (Probe(f"/api/v1/settlements/{PERIOD}?agreement={{id}}"),
            Probe(f"/api/v1/settlements/{PERIOD}/report?agreement={{id}}&format=csv")),
           ("POST", f"/api/v1/settlements/{PERIOD}/close", {})),
    Seeded("settlement acknowledgements", "SELECT id FROM settlement_acknowledgements ORDER BY id", "RW", "AL",
           (Probe(f"/api/v1/settlements/{PERIOD}/acknowledgements", _listed()),), None),
]
SEEDED_MATRIX = [pytest.param(r, p, own, id=f"{r.name}:{p.path}:{'own' if own else 'other'}")
                 for r in SEEDED_RESOURCES for p in r.probes for own in (True, False)]


def _acknowledge(session) -> None:
    """The demo closes no period, so no partner has signed off: record RW's acceptance of GB–RW's statement."""
    from ledger.settlement.models import Acknowledgement

    agreement = session.execute(text(GB_RW)).scalar()
    session.add(Acknowledgement(period=PERIOD, agreement_id=agreement, party_code="RW", digest="0" * 64,
                                accepted=True, disputed_lines="[]", reason="", acknowledged_at="2026-04-01T00:00:00"))
    session.commit()


def _seeded_object(seeded, resource: Seeded) -> dict:
    with seeded.app_context():
        session = seeded.extensions["ledger.db"].new_session()
        try:
            if resource.name == "settlement acknowledgements":
                _acknowledge(session)
            found = session.execute(text(resource.find)).scalar()
        finally:
            session.close()
    assert found is not None, f"the demo holds no {resource.name}"
    return {"id": found}


@pytest.mark.parametrize("resource,probe,own", SEEDED_MATRIX)
def test_partner_isolation_over_every_feature(seeded, resource, probe, own):
    tokens = seeded.config["LEDGER_PROOF_TOKENS"]
    obj = _seeded_object(seeded, resource)
    path = probe.path.format(**obj)
    client = seeded.test_client()
    viewer = tokens[f"partner:{resource.own if own else resource.other}"]
    response = client.get(path, headers={"Authorization": f"Bearer {viewer}"})
    staff = client.get(path, headers={"Authorization": f"Bearer {tokens['auditor']}"})
    assert staff.status_code == 200, staff.get_data(as_text=True)[:300]
    if probe.listed is None:
        if own:
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        else:
            assert_problem(response, 404, "not_found")
        return
    assert probe.listed(staff.get_json(), obj), "the probe cannot see the object"
    if own:
        assert response.status_code == 200 and probe.listed(response.get_json(), obj)
    else:
        assert response.status_code == 404 or (response.status_code == 200
                                                and not probe.listed(response.get_json(), obj))


READ_ONE = [pytest.param(r, p, id=f"{r.name}:{p.path}") for r in SEEDED_RESOURCES for p in r.probes if p.listed is None]


@pytest.mark.parametrize("resource,probe", READ_ONE)
def test_another_partys_object_answers_exactly_as_a_missing_one(seeded, resource, probe):
    """One 404 body per kind of object: a partner cannot tell another party's object from one that never was."""
    tokens = seeded.config["LEDGER_PROOF_TOKENS"]
    obj = _seeded_object(seeded, resource)
    client = seeded.test_client()
    headers = {"Authorization": f"Bearer {tokens['partner:' + resource.other]}"}
    others = client.get(probe.path.format(**obj), headers=headers)
    missing = client.get(probe.path.format(id=999999), headers=headers)
    bodies = [{k: v for k, v in assert_problem(r, 404, "not_found").items() if k != "request_id"}
              for r in (others, missing)]
    assert bodies[0] == bodies[1]
    assert "999999" not in bodies[1]["detail"] and str(obj["id"]) not in bodies[0]["detail"]


@pytest.mark.parametrize("resource", [pytest.param(r, id=r.name) for r in SEEDED_RESOURCES if r.forbidden])
def test_a_forbidden_action_on_its_own_object_is_403(seeded, resource):
    """A side sees the object, so refusing it an action is 403 (not 404); the object is unchanged."""
    tokens = seeded.config["LEDGER_PROOF_TOKENS"]
    obj = _seeded_object(seeded, resource)
    method, path, body = resource.forbidden
    path = path.format(**obj)
    client = seeded.test_client()
    headers = {"Authorization": f"Bearer {tokens['partner:' + resource.own]}"}
    response = client.open(path, method=method, json=body, headers=headers)
    assert_problem(response, 403, "forbidden")
    other = {"Authorization": f"Bearer {tokens['partner:' + resource.other]}"}
    assert client.open(path, method=method, json=body, headers=other).status_code in (403, 404)


# ------------------------------------------------------------------------------------------ security headers
def test_security_headers_on_every_answer(app, api, callers):
    paths = {path for _, _, path, _ in _declared_views(app)} | {"/api/v1/health", "/api/v1/openapi.json",
                                                               "/metrics", "/api/v1/nowhere"}
    for path in sorted(paths):
        for caller in ("admin", "anonymous"):
            response = _send(api, "GET", path, callers[caller])
            missing = {k: v for k, v in SECURITY_HEADERS.items() if response.headers.get(k) != v}
            assert missing == {}, f"GET {path} as {caller} ({response.status_code})"
            assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.headers["X-Request-Id"])


# ------------------------------------------------------------------------------------------- SQL injection
PAYLOADS = ["' OR '1'='1", "1 OR 1=1", "'; DROP TABLE parties; --", "\" UNION SELECT token_hash FROM api_tokens --",
            "%", "_", "\\", "\x00", "1e309", "-1", "99999999999999999999999", "2026-13-45", "ZZ' --"]


def _get_operations():
    for path, operations in SPEC["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        params = [p for p in get.get("parameters", []) + operations.get("parameters", [])]
        yield path, [p["name"] for p in params if p["in"] == "query"], \
            [p["name"] for p in params if p["in"] == "path"]


def _ids(body) -> set:
    return {json.dumps(item, sort_keys=True) for item in body.get("items", [])} if isinstance(body, dict) else set()


def test_sql_injection_probes_find_nothing(api, session, parties, admin, callers):
    ctx = SimpleNamespace(api=api, session=session, parties=parties, made=[])
    _journal_entry(ctx, "GB", "AL")
    _journal_entry(ctx, "GB", "RW")
    hashes = set(session.execute(text("SELECT token_hash FROM api_tokens")).scalars())
    failures = []
    for path, query_names, path_names in _get_operations():
        base = re.sub(r"\{\w+\}", "GB", path)
        baseline = {c: _ids(_send(api, "GET", base, callers[c]).get_json(silent=True)) for c in ("partner", "admin")}
        targets = [(f"{base}?{name}=" + "{}", name) for name in query_names]
        targets += [(re.sub(r"\{" + name + r"\}", "{}", re.sub(r"\{(?!" + name + r"\})\w+\}", "GB", path)), name)
                    for name in path_names]
        for template, _name in targets:
            for payload in PAYLOADS:
                url = template.format(quote(payload, safe=""))
                for caller in ("partner", "admin"):
                    response = _send(api, "GET", url, callers[caller])
                    body = response.get_data(as_text=True)
                    if response.status_code >= 500 or any(h in body for h in hashes):
                        failures.append(f"{url} as {caller}: {response.status_code}")
                    elif (caller == "partner" and response.status_code == 200 and path == base
                          and not _ids(response.get_json()) <= baseline["partner"]):
                        failures.append(f"{url} as partner: shows more than its own")
    assert failures == []
    assert session.execute(text("SELECT count(*) FROM parties")).scalar() == 5


# ----------------------------------------------------------------------------------------- header injection
@pytest.mark.parametrize("header", ["X-Request-Id", "Idempotency-Key"])
@pytest.mark.parametrize("value", ["abcdefgh\r\nSet-Cookie: pwned=1", "abcdefgh\nX-Injected: 1",
                                   "abcdefgh%0d%0aX-Injected:%201", "abcdefgh\x00zz"])
def test_header_injection_is_neither_echoed_nor_obeyed(api, admin, header, value):
    environ_key = "HTTP_" + header.upper().replace("-", "_")
    body = {"code": "IT", "name": "Italy"}
    response = api.client.post("/api/v1/parties", json=body, headers={"Authorization": f"Bearer {admin}"},
                               environ_base={environ_key: value})
    assert response.status_code < 500
    assert "Set-Cookie" not in response.headers and "X-Injected" not in response.headers
    for name, sent in response.headers.items():
        assert "\r" not in sent and "\n" not in sent and "pwned" not in sent, name
    assert response.headers["X-Request-Id"] != value


# ----------------------------------------------------------------------------- JSON no database can hold
HOSTILE_JSON = {"lone surrogate": b'{"name": "\\ud800", "reason": "\\udfff"}',
                "deep nesting": b"[" * 100_000 + b"]" * 100_000}


@pytest.mark.parametrize("body", list(HOSTILE_JSON.values()), ids=list(HOSTILE_JSON))
def test_every_write_refuses_json_no_database_can_hold(app, api, callers, body):
    """Every POST/PUT/PATCH as a role that may call it: 400 invalid_json (or a refusal before the body is read),
    never a 5xx and never a success."""
    wrong = []
    for _endpoint, method, path, roles in _declared_views(app):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        caller = next(c for c in ("admin", "finance_officer", "partner", "auditor") if c in roles)
        response = api.client.open(path, method=method, data=body, content_type="application/json",
                                   headers={"Authorization": f"Bearer {callers[caller]}"})
        code = (response.get_json(silent=True) or {}).get("code")
        if response.status_code >= 500 or response.status_code < 400 or (response.status_code == 400
                                                                            and code != "invalid_json"):
            wrong.append(f"{method} {path} as {caller}: {response.status_code} {code}")
    assert wrong == []


# ------------------------------------------------------------------------------------------- oversized body
@pytest.mark.parametrize("with_key", [False, True])
def test_an_oversized_body_is_413_problem_json(app, api, admin, monkeypatch, with_key):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    headers = {"Idempotency-Key": uuid.uuid4().hex} if with_key else {}
    response = api.post("/api/v1/parties", json={"code": "IT", "name": "x" * 10_000}, token=admin,
                        headers=headers)
    assert_problem(response, 413, "payload_too_large")
    assert api.get("/api/v1/parties/IT", token=admin).status_code == 404
