"""The main navigation: one line per page; an entry shows only to the roles its view lets in."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request, url_for


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str


#: In the order a finance officer's month runs. Entries whose endpoint does not exist (yet) are skipped.
NAV = [
    NavItem("Dashboard", "web.dashboard"),
    NavItem("Our statements", "web_partner.index"),
    NavItem("Agreements", "web_agreements.index"),
    NavItem("Returnees", "web_returnees.index"),
    NavItem("Invoices", "web_invoices.index"),
    NavItem("Statements", "web_statements.index"),
    NavItem("Payments", "web_payments.index"),
    NavItem("Reconciliation", "web_reconciliation.index"),
    NavItem("Approvals", "web_approvals.index"),
    NavItem("Settlement", "web_settlement.index"),
    NavItem("EU claims", "web_claims.index"),
    NavItem("Budgets", "web_budgets.index"),
    NavItem("Parties", "web.parties"),
    NavItem("Accounts", "web.accounts"),
    NavItem("Journal", "web.journal"),
    NavItem("Audit log", "web.audit"),
]


def allowed(endpoint: str, role: str | None) -> bool:
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "ledger_roles", ()) if view else ()
    return "public" in roles or (role is not None and role in roles)


def items() -> list[tuple[NavItem, str, bool]]:
    """(item, url, is this the current section) for the signed-in person."""
    principal = g.get("principal")
    role = principal.role if principal else None
    endpoint = request.endpoint or ""
    out = []
    for item in NAV:
        if allowed(item.endpoint, role):
            out.append((item, url_for(item.endpoint), _is_within(endpoint, item.endpoint)))
    return out


def _is_within(endpoint: str, section: str) -> bool:
    """`web.journal_entry` is within `web.journal`; any page of `web_invoices` is within Invoices."""
    if endpoint == section or endpoint.startswith(section + "_"):
        return True
    blueprint = section.split(".")[0]
    return blueprint != "web" and endpoint.split(".")[0] == blueprint
