"""Errors on pages are pages: a sign-in redirect for a missing session, else a short HTML explanation."""

from __future__ import annotations

from http import HTTPStatus

import structlog
from flask import (
    Response,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import escape

log = structlog.get_logger("ledger.web")

_TITLES = {400: "The request could not be used", 401: "Please sign in", 403: "Not allowed",
           404: "Not found", 405: "Not allowed here", 409: "Conflict", 413: "Too large",
           422: "Please check the form", 429: "Too many requests", 500: "Something went wrong",
           503: "Busy"}


def render_error(status: int, code: str, detail: str, *, errors=None, headers=None) -> Response | None:
    from ledger.web import is_page_request

    if not has_request_context() or not is_page_request():
        return None
    if status == 401 and request.method == "GET":
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")), 303)
    if status >= 500:
        detail = "The server could not finish this. Nothing was changed. Quote the reference below if you report it."
    from ledger.web.csrf import came_from

    back_to = came_from() if code == "csrf_failed" and g.get("principal") is None else None
    try:
        body = render_template("error.html", status=status, code=code, detail=detail, errors=errors or {},
                               back_to=back_to,
                               title=_TITLES.get(status, HTTPStatus(status).phrase),
                               request_id=g.get("request_id", ""))
    except Exception:  # the error page must not fail in its turn; fall back to bare HTML
        log.exception("error_page_failed")
        body = (f"<!doctype html><html lang=en><title>{status}</title><h1>{status}</h1>"
                f"<p>{escape(detail)}</p><p>Reference: {escape(g.get('request_id', ''))}</p></html>")
    response = Response(body, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        if name.lower() != "www-authenticate":  # pages sign in with a form, not an HTTP challenge
            response.headers[name] = value
    return response
