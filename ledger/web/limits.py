"""Per-address slowdown of sign-in attempts, on top of the per-account lockout in `people`.

The lockout stops guessing one person's password; this stops one address trying a few passwords against
many accounts. Counts live in LEDGER_RATELIMIT_URL (memory:// per worker by default; redis:// shares them).
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter.util import get_remote_address

from ledger.ratelimit import Limiter

#: Its one limit is on the sign-in view, checked by the view's decorator: before other requests it does nothing
#: (`ledger.ratelimit.Limiter`).
limiter = Limiter(get_remote_address, headers_enabled=False)


def sign_in_rate() -> str:
    return current_app.config["LEDGER_SIGNIN_RATE"]


def init_app(app: Flask) -> None:
    app.config.setdefault("LEDGER_SIGNIN_RATE", "10 per minute")
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("LEDGER_RATELIMIT_URL", "memory://"))
    limiter.init_app(app)
