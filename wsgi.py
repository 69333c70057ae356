"""gunicorn entry point in the source tree: `gunicorn -c gunicorn.conf.py wsgi:app` (installed: ledger.wsgi:app)."""

from ledger.wsgi import app  # noqa: F401
