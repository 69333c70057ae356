import json
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[2] / "contracts" / "openapi.json"


def test_health_reports_the_database(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_metrics_are_prometheus_text(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_METRICS_TOKEN", "metrics-" + "m" * 32)
    client.get("/api/v1/health")
    response = client.get("/metrics", headers={"Authorization": "Bearer metrics-" + "m" * 32})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert 'ledger_http_requests_total{endpoint="ops.health"' in response.get_data(as_text=True)


def test_security_headers(client):
    headers = client.get("/api/v1/health").headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_openapi_is_3_1_and_public(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/parties" in spec["paths"]


def test_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "http" not in page.replace("http-equiv", "")
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and asset.mimetype == "text/javascript"
    asset.close()


def test_openapi_snapshot_matches(client):
    """contracts/openapi.json is the published contract: regenerate it with `make openapi` when it changes."""
    live = client.get("/api/v1/openapi.json").get_json()
    assert SNAPSHOT.exists(), "contracts/openapi.json is missing: run `make openapi`"
    assert json.loads(SNAPSHOT.read_text()) == live, "the API changed: review it, then run `make openapi`"


def test_models_and_migrations_agree(app):
    from ledger import migrate

    assert migrate.drift(app.extensions["ledger.db"].bind) == []
