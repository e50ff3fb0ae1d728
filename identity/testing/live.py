"""A live gunicorn server of this checkout for tests that need real worker processes, and the TEST database's URL."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(host: str | None = None, port: int | None = None) -> str:
    """The TEST database of this run (the server must see the rows a test commits), optionally through a proxy."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return (
        f"postgres://{credentials}{host or db.get('HOST') or '127.0.0.1'}:{port or db.get('PORT') or 5432}/{db['NAME']}"
    )


def _gunicorn() -> str:
    candidate = Path(sys.executable).parent / "gunicorn"
    return str(candidate) if candidate.exists() else (shutil.which("gunicorn") or "gunicorn")


@contextmanager
def gunicorn(env: dict, *, workers: int = 2, config: bool = False, timeout: float = 60):
    """Serves config.wsgi on a free port with `env` over this process's environment; yields (url, log file).

    `config=True` uses config/gunicorn.conf.py (its limits, hooks and metrics directory), with the port given here.
    """
    port = free_port()
    # A metrics directory only when the test gives one (otherwise config/gunicorn.conf.py makes its own).
    inherited = {name: value for name, value in os.environ.items() if name != "PROMETHEUS_MULTIPROC_DIR"}
    environment = {
        **inherited,
        "APP_ENV": "testing",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "JWT_SECRET": settings.JWT_SECRET,
        "USE_GUARDIAN_SERVICE": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    command = [
        _gunicorn(),
        "config.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--no-control-socket",
    ]
    if config:
        command[1:1] = ["-c", "config/gunicorn.conf.py"]
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(
                    f"gunicorn exited with {process.returncode}:\n{log.read().decode(errors='replace')}"
                )
            try:
                if requests.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start within {timeout} s")
            time.sleep(0.2)
        yield url, log
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (TERM waits for the workers)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
