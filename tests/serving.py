"""Serving the app under gunicorn in tests: a free port on 127.0.0.1, and waiting until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def start_gunicorn(env: dict, log: Path) -> subprocess.Popen:
    """gunicorn with the project's gunicorn.conf.py on the source tree's app, writing its lines to `log`."""
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A worker starting on a host shared with other test runs (load average 20 on 2 CPUs) can take over 30 s to
# import the app; a healthy start is a second or two, so the long bound only costs time when it fails anyway.
START_SECONDS = 90


def wait_for_health(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /api/v1/health within {START_SECONDS} s:\n{log.read_text()}")
