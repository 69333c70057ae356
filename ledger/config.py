"""Configuration from `LEDGER_*` environment variables.

Development generates its secrets into `instance/` on first start so a newcomer needs nothing; production
(`LEDGER_ENV=production`) refuses to start until every secret and the database URL are given for real.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import timeutil

SECRET_NAMES = ("LEDGER_SECRET_KEY", "LEDGER_PSEUDONYM_KEY", "LEDGER_SIGNING_KEY")


class ConfigError(RuntimeError):
    """The service cannot start with this configuration; the message names what is missing."""


def _new_signing_key() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


_GENERATORS = {
    "LEDGER_SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "LEDGER_PSEUDONYM_KEY": lambda: secrets.token_urlsafe(48),
    "LEDGER_SIGNING_KEY": _new_signing_key,
}


def _development_secret(instance: Path, name: str) -> str:
    """Read, or create once, a development secret kept in `instance/` (mode 0600)."""
    path = instance / name.lower().removeprefix("ledger_")
    if not path.exists():
        # Written whole under a private name, then linked into place: a second process starting at the same
        # moment (gunicorn workers, parallel test workers) either wins the link or reads the winner's whole
        # file, never an empty one half-written.
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_GENERATORS[name]())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _derived(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode(), f"returns-ledger {purpose}".encode(), hashlib.sha256).hexdigest()


def _check_signing_key(encoded: str) -> None:
    """Refuse at start a signing key that could not sign: found later it would fail a period's closing."""
    from ledger.settlement import signing

    try:
        signing.private_key(encoded)
    except signing.SigningKeyError as error:
        raise ConfigError(str(error).splitlines()[0]) from None


def _trusted_proxies(value: str) -> int:
    if not value.strip().isdigit():
        raise ConfigError(f"LEDGER_TRUSTED_PROXIES must be a number of proxy hops (0 or more), not {value!r}")
    return int(value)


def _batch_niceness(value: str) -> int:
    if not value.strip().isdigit() or int(value) > 19:
        raise ConfigError(f"LEDGER_BATCH_NICENESS must be a niceness from 0 to 19, not {value!r}")
    return int(value)


def load(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    production = env.get("LEDGER_ENV", "development") == "production"
    if production:
        missing = [n for n in (*SECRET_NAMES, "LEDGER_DATABASE_URL") if not env.get(n)]
        if missing:
            raise ConfigError("production needs these environment variables set: " + ", ".join(missing))
    values = {n: env.get(n) or _development_secret(instance, n) for n in SECRET_NAMES}
    if production:
        weak = [n for n in SECRET_NAMES if len(values[n]) < 32]
        if weak:
            raise ConfigError("these secrets are too short for production (32+ characters): " + ", ".join(weak))
    _check_signing_key(values["LEDGER_SIGNING_KEY"])
    ratelimit_url = env.get("LEDGER_RATELIMIT_URL") or "memory://"
    if production and ratelimit_url.startswith("memory://"):
        # Per-process counters: every gunicorn worker and host would grant the whole limit again.
        raise ConfigError("production needs LEDGER_RATELIMIT_URL set to a shared store (redis://host:6379/0), "
                          "not memory://")
    metrics_token = env.get("LEDGER_METRICS_TOKEN", "")
    if production and len(metrics_token) < 32:
        raise ConfigError("production needs LEDGER_METRICS_TOKEN (32+ characters): "
                          "/metrics is served to its bearer only")
    trusted_proxies = _trusted_proxies(env.get("LEDGER_TRUSTED_PROXIES", "0"))
    batch_niceness = _batch_niceness(env.get("LEDGER_BATCH_NICENESS", "10"))
    fallbacks = [k.strip() for k in env.get("LEDGER_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]
    time_zone = env.get("LEDGER_TIME_ZONE") or timeutil.DEFAULT_TIME_ZONE
    try:
        timeutil.zone_named(time_zone)
    except ValueError as error:
        raise ConfigError(f"LEDGER_TIME_ZONE: {error}") from None
    from ledger.reconciliation.writeoffs import DEFAULT_LIMITS, LimitsError, parse_limits

    try:
        write_off_limits = parse_limits(env.get("LEDGER_WRITE_OFF_LIMITS") or DEFAULT_LIMITS)
    except LimitsError as error:
        raise ConfigError(str(error)) from None
    database_url = env.get("LEDGER_DATABASE_URL") or f"sqlite:///{instance / 'ledger.sqlite3'}"
    return {
        "LEDGER_ENV": "production" if production else "development",
        "SECRET_KEY": values["LEDGER_SECRET_KEY"],
        # Earlier secret keys still accepted for sessions signed before a rotation (new ones use SECRET_KEY).
        "SECRET_KEY_FALLBACKS": fallbacks,
        # Idempotent retries are matched by a keyed fingerprint of the request. It is derived from the pseudonym
        # key, which never changes, so rotating LEDGER_SECRET_KEY cannot turn a retry into idempotency_key_reused.
        "LEDGER_FINGERPRINT_KEY": _derived(values["LEDGER_PSEUDONYM_KEY"], "request fingerprints"),
        "LEDGER_PSEUDONYM_KEY": values["LEDGER_PSEUDONYM_KEY"],
        "LEDGER_SIGNING_KEY": values["LEDGER_SIGNING_KEY"],
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_RATELIMIT_URL": ratelimit_url,
        # Proxies (load balancers) in front whose X-Forwarded-For/-Proto are believed: the client address
        # (rate limits, logs) is then the one the outermost trusted proxy saw, not the proxy's own.
        "LEDGER_TRUSTED_PROXIES": trusted_proxies,
        # Bearer token Prometheus scrapes /metrics with; unset (development only), /metrics is not served.
        "LEDGER_METRICS_TOKEN": metrics_token,
        "LEDGER_RATELIMIT_ENABLED": env.get("LEDGER_RATELIMIT_ENABLED", "true").lower() != "false",
        # Failed authentications per client address (token guessing), and requests per token.
        "LEDGER_RATELIMIT_AUTH_FAILURES": env.get("LEDGER_RATELIMIT_AUTH_FAILURES", "20 per minute"),
        "LEDGER_RATELIMIT_PER_TOKEN": env.get("LEDGER_RATELIMIT_PER_TOKEN", "6000 per minute"),
        # Whose calendar dates facts: one dated after today there is refused (`future_date`).
        "LEDGER_TIME_ZONE": time_zone,
        "LEDGER_LOG_LEVEL": env.get("LEDGER_LOG_LEVEL", "INFO"),
        # The CPU priority the ledger's own commands (an import, a reconciliation run, a month close) lower
        # themselves to at least, so that on a shared host the API's requests come first (`ledger.cli`).
        "LEDGER_BATCH_NICENESS": batch_niceness,
        # Years a returnee stays identifiable (by pseudonym) after transfer; `ledger returnees erase` then.
        "LEDGER_RETENTION_YEARS": int(env.get("LEDGER_RETENTION_YEARS", "10")),
        # Sign-in attempts per client address (flask-limiter notation); accounts also lock after 5 failures.
        "LEDGER_SIGNIN_RATE": env.get("LEDGER_SIGNIN_RATE", "10 per minute"),
        # What each role may write off alone while matching by hand (in the match's currency); above: four eyes.
        "LEDGER_WRITE_OFF_LIMITS": write_off_limits,
        # Large enough for a month of camt.053; bigger files go through `ledger statements import`.
        "MAX_CONTENT_LENGTH": int(env.get("LEDGER_MAX_BODY_BYTES", str(64 * 1024 * 1024))),
        # A statement upload must import well inside the worker's timeout (README); larger files: the CLI.
        "LEDGER_STATEMENT_MAX_BYTES": int(env.get("LEDGER_STATEMENT_MAX_BYTES", str(8 * 1024 * 1024))),
        # A payment batch whose total is above this (in its own currency) needs two approvers, neither the preparer.
        "LEDGER_PAYMENTS_SECOND_APPROVAL_ABOVE": env.get("LEDGER_PAYMENTS_SECOND_APPROVAL_ABOVE", "100000.00"),
        "SESSION_COOKIE_SECURE": production,
        # __Host-: the browser refuses it unless Secure, for this host only, on path / (production only).
        "SESSION_COOKIE_NAME": "__Host-ledger" if production else "ledger_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
