"""Rate-limit counters are shared across gunicorn worker processes (docs/behaviour.md §7.7: Redis, not per-process
memory)."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.db import connection
from django_ratelimit import ALL
from django_ratelimit.core import _get_window, _make_cache_key

from identity.testing.constants import PASSWORD
from identity.testing.live import database_url, gunicorn

pytestmark = pytest.mark.postgres

REAL_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "users.hashers.WerkzeugPasswordHasher",
]
LIMIT = 3
RATE = f"{LIMIT}/h"
PERIOD = 3600


@pytest.fixture
def gunicorn_server():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a database the gunicorn workers can share)")
    if not settings.CACHE_URL.startswith(("redis://", "rediss://")):
        pytest.skip("needs CACHE_URL=redis://… (the shared rate-limit counters)")
    token = uuid.uuid4().hex
    env = {
        "DATABASE_URL": database_url(),
        "DATABASE_POOL_MAX_SIZE": "2",
        "CACHE_URL": settings.CACHE_URL,
        "INTERNAL_AUTH_TOKEN": token,
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_VERIFY_PASSWORD_EMAIL": RATE,
    }
    with gunicorn(env, workers=2) as (url, _log):
        yield url, token


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
        response = requests.post(
            f"{url}/verify_password",
            json={"email": email, "password": PASSWORD},
            headers={"X-Internal-Token": token, "Connection": "close"},
            timeout=30,
        )
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
