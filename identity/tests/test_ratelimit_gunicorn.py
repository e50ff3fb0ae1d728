"""Rate-limit counters are shared across gunicorn worker processes (contract §7.7: Redis, not per-process memory)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection
from django_ratelimit import ALL
from django_ratelimit.core import _get_window, _make_cache_key

from identity.testing.constants import PASSWORD

pytestmark = pytest.mark.postgres

BASE_DIR = Path(settings.BASE_DIR)
REAL_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "users.hashers.WerkzeugPasswordHasher",
]
LIMIT = 3
RATE = f"{LIMIT}/h"
PERIOD = 3600


def _database_url() -> str:
    """The TEST database of this run, which the subprocess must use to see the rows this test commits."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gunicorn() -> str:
    candidate = Path(sys.executable).parent / "gunicorn"
    return str(candidate) if candidate.exists() else (shutil.which("gunicorn") or "gunicorn")


@pytest.fixture
def gunicorn_server():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a database the gunicorn workers can share)")
    if not settings.CACHE_URL.startswith(("redis://", "rediss://")):
        pytest.skip("needs CACHE_URL=redis://… (the shared rate-limit counters)")
    port = free_port()
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "DEBUG": "false",
        "DATABASE_URL": _database_url(),
        "DATABASE_POOL_MAX_SIZE": "2",
        "CACHE_URL": settings.CACHE_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "JWT_SECRET": settings.JWT_SECRET,
        "INTERNAL_AUTH_TOKEN": token,
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_VERIFY_PASSWORD_EMAIL": RATE,
        "USE_GUARDIAN_SERVICE": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [_gunicorn(), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "--no-control-socket"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read().decode(errors='replace')}")
            try:
                if requests.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not start within 60 s")
            time.sleep(0.2)
        yield url, token
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (TERM waits for the workers)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _forget_counter(email: str) -> None:
    """Deletes this test's counter from Redis (the workers use the default, unprefixed key)."""
    import redis

    window = _get_window(email, PERIOD)
    key = _make_cache_key("verify_password:email", window, RATE, email, ALL)
    redis.Redis.from_url(settings.CACHE_URL).delete(f":1:{key}")


@pytest.mark.django_db(transaction=True)
def test_limit_holds_across_two_gunicorn_workers(gunicorn_server, company_a, make_user, settings):
    settings.PASSWORD_HASHERS = REAL_HASHERS  # the workers run the real hashers
    url, token = gunicorn_server
    email = f"workers-{uuid.uuid4().hex[:12]}@acme.test"
    user = make_user(company_a, email)
    # The window is aligned to the clock: never start just before it rolls over.
    left = _get_window(email, PERIOD) - int(time.time())
    if left < 30:
        time.sleep(left + 1)

    def login(_=None):
        # A new connection each time, so the requests spread over both workers.
        response = requests.post(f"{url}/verify_password", json={"email": email, "password": PASSWORD},
                                 headers={"X-Internal-Token": token, "Connection": "close"}, timeout=30)
        return response

    try:
        first = login()
        assert first.status_code == 200, first.text
        assert first.json()["id"] == str(user.pk)  # the workers read this run's test database
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(login, range(8)))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] * (LIMIT - 1) + [429] * (8 - LIMIT + 1), statuses
        limited = next(response for response in responses if response.status_code == 429)
        assert limited.json() == {"message": "Too many requests"}
        assert 1 <= int(limited.headers["Retry-After"]) <= PERIOD
    finally:
        _forget_counter(email)
