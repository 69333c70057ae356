"""CSRF: one random token per session, in a hidden field of every form, checked on every unsafe request.

The session cookie is also SameSite=Lax; the token is what stops a cross-site form post in browsers that
ignore that, and a forged request from a page on another origin cannot read the token to copy it.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import g, request, session

from ledger.errors import Problem

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfFailed(Problem):
    status, code = 400, "csrf_failed"


def token() -> str:
    """This session's token (created on first use; sign-in replaces it)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def protect() -> None:
    """Before each page request: refuse an unsafe one without this session's token."""
    if request.method not in _UNSAFE:
        return
    expected = session.get("csrf")
    supplied = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not expected or not hmac.compare_digest(expected.encode(), supplied.encode()):
        if g.get("principal") is None:
            # Most often a session that ended while the form was open: the browser kept what was typed
            # (ledger.js), and signing in again leads back to the form, which fills it in again.
            raise CsrfFailed("You are not signed in any more (signed out, or the session ended while the form was "
                             "open), or the form did not come from this site. Nothing was changed. Sign in again: "
                             "the form comes back with what you typed.")
        raise CsrfFailed("This form has expired or did not come from this site. "
                         "Go back, reload the page and try again.")


def came_from() -> str | None:
    """The page of this site the form was on (its path and query: the form says, `_forms.form`), to lead back to
    after signing in; None for anything that is not a path on this site."""
    page = urlsplit(request.form.get("_page", ""))
    if page.scheme or page.netloc or not page.path.startswith("/") or page.path.startswith("//"):
        return None
    return page.path + (f"?{page.query}" if page.query else "")
