"""The finance officers' workspace: server-rendered pages for people who sign in.

Pages are plain Flask blueprints made with `pages(name)`; each carries the CSRF check and answers errors as
HTML pages (the API under /api/ keeps its problem+json). Every view still takes `@requires(...)` or
`@public` as its FIRST decorator, exactly as API views do; here the principal comes from the session cookie.

Adding a feature's pages (the integrator's recipe):
  1. `ledger/web/<feature>.py`: `bp = pages("web_<feature>")`, views with `@bp.route(...)` then
     `@requires(...)`; list and detail pages use `ledger.web.tables.Table` over the `Listing` the feature's
     `queries.py` offers (a page reads a feature through its doors only), forms `{{ forms.form(...) }}`.
  2. Templates in `ledger/web/templates/<feature>/`, extending "base.html".
  3. Add the blueprint to `ledger.features.web_blueprints()` and a line to `ledger.web.nav.NAV`
     (an entry shows only to roles its view allows); a dashboard panel goes in `ledger.web.dashboard`.
  4. A form's POST calls the feature's service through `ledger.web.actions.attempt(action, back)`: a refusal
     (409/412/422) is undone (savepoint) and shown as a message on the page the person came from; success
     answers `actions.done(message, url)` (303). Two tables on one page: give the second `Table(prefix=...)`.

Pages today: the dashboard, parties, accounts, journal, audit log (`views.py`); agreements and returnees
(`agreements.py`), invoices, statements, the reconciliation queue, settlement, EU claims (one module each);
and for partner people (role `partner`, bound to a party) their own signed statements and the review of their
lines (`partner.py`).
"""

from __future__ import annotations

from flask import Blueprint, Flask, request

from ledger import auth
from ledger.auth import PUBLIC_ENDPOINTS

#: Names of the blueprints whose views are pages (session auth, CSRF, HTML errors).
PAGE_BLUEPRINTS: set[str] = set()


def pages(name: str, import_name: str = __name__, **options) -> Blueprint:
    """A blueprint of pages: the CSRF check runs before each of its views."""
    from ledger.web import csrf

    options.setdefault("template_folder", "templates")
    bp = Blueprint(name, import_name, **options)
    bp.before_request(csrf.protect)
    PAGE_BLUEPRINTS.add(name)
    return bp


def may(roles) -> bool:
    """Does the person signed in hold one of `roles`? A page offers a form only to those its POST allows."""
    return auth.current().role in roles


def is_page_request() -> bool:
    """Did this request come for a page (rather than the API, metrics or an unknown non-HTML client)?"""
    if request.path.startswith("/api/"):
        return False
    if request.blueprint in PAGE_BLUEPRINTS:
        return True
    return request.url_rule is None and request.accept_mimetypes.accept_html


def init_app(app: Flask, blueprints: list[Blueprint]) -> None:
    from ledger import errors
    from ledger.web import csrf, export, formats, limits, nav
    from ledger.web.errors import render_error

    limits.init_app(app)
    export.init_app(app)
    for bp in blueprints:
        app.register_blueprint(bp)
    app.jinja_env.filters.update(formats.FILTERS)
    app.jinja_env.globals.update(csrf_token=csrf.token, csrf_field=csrf.FIELD, nav_items=nav.items)
    errors.page_renderer = render_error
    PUBLIC_ENDPOINTS.add("web.static")
