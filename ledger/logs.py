"""Structured JSON logs (structlog), one line per event, with the request id bound for the request.

Every line the process writes is JSON: structlog's own, and the standard library's (psycopg's warnings,
flask-limiter, werkzeug, alembic, and gunicorn's own loggers through `gunicorn_logconfig`) through the same
renderer. Nothing personal goes in: case references never reach this layer, and request bodies are not logged.
"""

from __future__ import annotations

import logging
import sys

import structlog

_TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)


def configure(level: str = "INFO") -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _TIMESTAMP,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Resolve stderr at each use, so a redirected stderr (tests, gunicorn) gets the lines.
        logger_factory=lambda *args: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    _route_standard_logging(level)


def json_formatter() -> logging.Formatter:
    """Renders a standard-library record as the same JSON line as structlog's (event, level, logger, timestamp,
    the request id when in a request); `()` factory of gunicorn's logconfig_dict too."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            _TIMESTAMP,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (like structlog's lines), not the stream of its creation."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(json_formatter())

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _route_standard_logging(level: str) -> None:
    """One JSON handler on the root logger (replacing ours from an earlier app, leaving others' alone), so a
    library's warning is a JSON line too and not plain text between them."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    root.addHandler(StderrHandler())
    root.setLevel(logging.getLevelName(level.upper()))


def gunicorn_logconfig(level: str = "INFO") -> dict:
    """gunicorn's `logconfig_dict`: its own loggers (master and workers: booting, timeouts, signals) as JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ledger.logs.json_formatter"}},
        "handlers": {"stderr": {"()": "ledger.logs.StderrHandler"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        },
    }


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is a server dependency; the CLI and tests import this module without it
    _GunicornLogger = object  # type: ignore[assignment,misc]


class GunicornLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's logger (`logger_class` in gunicorn.conf.py) with its access log only when `accesslog` asks for it.

    gunicorn turns its access log on whenever a `logconfig_dict` is given, which ours is (for its error lines as
    JSON): every request was then logged twice, once by the app (`ledger._log_request`, with the request id and the
    route's template) and once more in gunicorn's Apache format, which also cost every request the formatting."""

    def _compute_access_log_enabled(self) -> bool:
        return bool(self.cfg.accesslog)
