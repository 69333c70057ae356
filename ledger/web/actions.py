"""Running a service call from a page form: a refusal the person can act on (409, 412, 422) comes back as a
message on the page they came from, and whatever the call had written is undone first (a savepoint)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from ledger import db
from ledger.audit import service as audit
from ledger.errors import REFUSALS, Problem, as_problem, field_error

#: Refusals shown on the form's page; anything else (403, 404, 5xx) stays an error page.
SHOWN_ON_THE_PAGE = (409, 412, 422)


def message(problem: Problem) -> str:
    parts = [problem.detail]
    for name, messages in (problem.errors or {}).items():
        for text in messages:
            parts.append(f"{name}: {text}")
    return " — ".join(parts)


def in_savepoint(action: Callable[[Any], Any]) -> tuple[bool, Any]:
    """(True, result) when `action(session)` succeeded; else (False, the Problem a page shows), with the attempt's
    writes and audit notes undone. Problems a page does not show (a 500's cause) are raised on."""
    session = db.session()
    notes = len(audit.pending(session))
    try:
        with session.begin_nested():
            return True, action(session)
    except REFUSALS as refusal:
        problem = as_problem(refusal)
        if problem.status not in SHOWN_ON_THE_PAGE:
            raise
        audit.forget_since(session, notes)
        return False, problem


def attempt(action: Callable[[Any], Any], back: str) -> tuple[bool, Any]:
    """(True, result) when `action(session)` succeeded; else (False, a redirect to `back` with the reason)."""
    ok, result = in_savepoint(action)
    if ok:
        return True, result
    flash(f"Nothing was changed. {message(result)}", "error")
    return False, redirect(back, 303)


def done(text: str, to: str) -> Response:
    flash(text, "success")
    return redirect(to, 303)


def carried_out(action: Callable[[Any], Any], back: str, said: Callable[[Any], str], to: str = "") -> Response:
    """A form's action run by `attempt`: done, the message `said(result)` shown on `to` (else `back`); refused,
    the reason shown on `back`."""
    ok, result = attempt(action, back)
    return done(said(result), to or back) if ok else result


def form_action(said: Callable[[Any], str]) -> Callable:
    """A form's POST view made from its service call: the view runs `act(session, **url_args)` through
    `carried_out`, and the person lands back on the page of what it acts on (`detail_page`), told `said(result)`
    or the refusal. It goes under `@requires(...)`:

        @bp.route("/invoices/<int:invoice_id>/reject", methods=["POST"])
        @requires(*DECIDERS)
        @form_action(lambda invoice: f"Invoice {invoice.number} rejected.")
        def reject(session, invoice_id: int):
            return service.reject(session, service.get(session, invoice_id), ...)
    """
    def decorate(act: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(act)
        def view(**url_args: Any) -> Response:
            return carried_out(lambda session: act(session, **url_args), detail_page(), said)

        return view

    return decorate


def detail_page() -> str:
    """The page of what a form's action acts on, for the person to land back on: the blueprint's `.detail` with
    the action's own URL arguments (`/invoices/7/approve` comes back to `/invoices/7`)."""
    return url_for(".detail", **(request.view_args or {}))


def required_text(name: str, hint: str, limit: int) -> str:
    """The form's field `name`, trimmed and cut to `limit` characters; an empty one is refused with `hint`."""
    text = request.form.get(name, "").strip()
    if not text:
        raise field_error(name, hint)
    return text[:limit]


def chosen(name: str, choices: Collection[str], hint: str) -> str:
    """The form's field `name`, one of `choices`; anything else is refused on that field with `hint`."""
    value = request.form.get(name, "")
    if value not in choices:
        raise field_error(name, hint)
    return value
