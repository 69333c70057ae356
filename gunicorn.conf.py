"""gunicorn settings: stateless workers, so the service scales out by adding hosts behind one PostgreSQL."""

import logging
import multiprocessing
import os

from ledger.logs import gunicorn_logconfig

bind = os.environ.get("LEDGER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LEDGER_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("LEDGER_THREADS", "1"))
# A slow or stuck client cannot hold a worker for ever; large statement imports go through the CLI.
timeout = int(os.environ.get("LEDGER_WORKER_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None  # the app logs each request as structured JSON, with its request id
logger_class = "ledger.logs.GunicornLogger"  # so gunicorn does not log each request a second time
errorlog = "-"
loglevel = os.environ.get("LEDGER_LOG_LEVEL", "INFO").lower()
# gunicorn's own lines (booting, worker timeouts, signals) as JSON too, like the app's.
logconfig_dict = gunicorn_logconfig(loglevel)
logging.captureWarnings(True)  # a library's warnings.warn (psycopg's among them) as a JSON line, not plain text
forwarded_allow_ips = os.environ.get("LEDGER_FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    server.log.info("Returns Ledger listening on http://%s (API docs at /api/docs)", bind)


def on_starting(server):
    """Prometheus multiprocess mode: each worker writes its metrics under PROMETHEUS_MULTIPROC_DIR and a scrape
    of any worker sums them all. Set here, in the master before any worker (or prometheus_client) starts;
    its metric files removed at start so a previous run's counters are not added in."""
    import glob
    import tempfile

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="ledger-metrics-")
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):
        os.remove(stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def child_exit(server, worker):
    """A dead worker's gauges (its pool) leave the sums; its counters stay, as they should."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
