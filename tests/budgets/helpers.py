"""An Italy–Albania-like agreement paid by a payer with an April fiscal year: instalments only, so every figure
is a sum a reader can check by hand."""

from __future__ import annotations

from tests.api.agreements_helpers import create_agreement

B = "/api/v1/budget-lines"

#: 100,000.00 in March (FY2025 for an April year), 300,000.00 in April and 250,000.00 in May (FY2026).
TERMS = {
    "instalments": [{"due_on": "2026-03-01", "amount": "100000.00", "label": "special account"},
                    {"due_on": "2026-04-01", "amount": "300000.00", "label": "special account"},
                    {"due_on": "2026-05-01", "amount": "250000.00", "label": "special account"}],
    "payment_terms_days": 30,
}


def april_payer(api, admin, code="GB", **extra):
    response = api.put(f"/api/v1/parties/{code}", json={"name": f"Republic {code}", "fiscal_year_start_month": 4,
                                                         **extra}, token=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def hub_agreement(api, admin, reference="GB-AL-2026-01", currency="GBP") -> int:
    return create_agreement(api, admin, reference=reference, payer="GB", payee="AL", terms=TERMS,
                            currency=currency)["id"]


def budget_line(api, token, agreement, voted="500000.00", on_exceed="refuse", **extra):
    body = {"fiscal_year": 2026, "agreement": agreement, "voted": voted, "currency": "GBP", "on_exceed": on_exceed,
            **extra}
    return api.post(B, json=body, token=token)


def execution(api, token, line_id) -> dict:
    response = api.get(f"{B}/{line_id}/execution", token=token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return {k: body[k] for k in ("voted", "committed", "invoiced", "paid", "available")}
