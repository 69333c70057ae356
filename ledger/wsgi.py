"""The installed entry point: `gunicorn -c gunicorn.conf.py ledger.wsgi:app`."""

import gc
import sys

from ledger import create_app
from ledger.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One line an operator can act on, not a traceback; 3 is gunicorn's "worker failed to boot", so the
    # master stops instead of restarting workers that can never start.
    print(f"ledger: configuration error: {error}", file=sys.stderr)
    sys.exit(3)

# What start-up built (the app, its models, schemas and OpenAPI document) lives as long as the worker: out of the
# collector's reach, a full collection no longer walks it, which took ~100 ms of a request now and then (bench.lists).
gc.collect()
gc.freeze()
