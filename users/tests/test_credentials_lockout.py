"""Lockout after repeated failed verifications (docs/behaviour.md §7.2), counted atomically."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from identity.testing.assertions import assert_error
from identity.testing.constants import PASSWORD
from users.models import User
from users.services import passwords as credentials

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lockout_settings(settings):
    settings.INTERNAL_AUTH_TOKEN = ""
    settings.LOCKOUT_MAX_FAILURES = 3
    settings.LOCKOUT_SECONDS = 600
    settings.RATELIMIT_ENABLE = False


def verify(client, email, password):
    return client.post("/verify_password", {"email": email, "password": password}, format="json")


def test_failures_lock_the_account_and_refuse_the_right_password(anon_client, user_a):
    for _ in range(3):
        assert_error(verify(anon_client, user_a.email, "Wrong-horse-9"), 403, "User or password invalid")
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 3
    assert user_a.locked_until is not None and user_a.locked_until > timezone.now() + timedelta(seconds=590)
    assert_error(verify(anon_client, user_a.email, PASSWORD), 403, "User or password invalid")


def test_attempts_while_locked_are_not_checked_and_do_not_extend_the_lock(anon_client, user_a, monkeypatch):
    for _ in range(3):
        verify(anon_client, user_a.email, "Wrong-horse-9")
    user_a.refresh_from_db()
    locked_until = user_a.locked_until

    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, raw: checked.append(raw) or False)
    for _ in range(3):
        assert_error(verify(anon_client, user_a.email, "Wrong-horse-9"), 403)
    user_a.refresh_from_db()
    assert checked == []
    assert user_a.locked_until == locked_until
    assert user_a.failed_login_count == 3


def test_success_before_the_limit_resets_the_counter(anon_client, user_a):
    verify(anon_client, user_a.email, "Wrong-horse-9")
    verify(anon_client, user_a.email, "Wrong-horse-9")
    assert verify(anon_client, user_a.email, PASSWORD).status_code == 200
    verify(anon_client, user_a.email, "Wrong-horse-9")
    verify(anon_client, user_a.email, "Wrong-horse-9")
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 2 and user_a.locked_until is None
    assert verify(anon_client, user_a.email, PASSWORD).status_code == 200


def test_lock_expires_and_the_counter_restarts(anon_client, user_a, settings):
    settings.LOCKOUT_SECONDS = 1
    for _ in range(3):
        verify(anon_client, user_a.email, "Wrong-horse-9")
    assert_error(verify(anon_client, user_a.email, PASSWORD), 403)
    # Expire the lock without waiting.
    User.objects.filter(pk=user_a.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert_error(verify(anon_client, user_a.email, "Wrong-horse-9"), 403)
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 1 and user_a.locked_until is None
    assert verify(anon_client, user_a.email, PASSWORD).status_code == 200


def test_short_lockout_setting_unlocks_after_its_seconds(anon_client, user_a, settings):
    import time

    settings.LOCKOUT_SECONDS = 1
    for _ in range(3):
        verify(anon_client, user_a.email, "Wrong-horse-9")
    assert_error(verify(anon_client, user_a.email, PASSWORD), 403)
    time.sleep(1.1)
    assert verify(anon_client, user_a.email, PASSWORD).status_code == 200


def test_wrong_current_password_on_change_counts(token_client, user_a, anon_client):
    client = token_client(user_a)
    for _ in range(3):
        response = client.patch(
            "/users/me/change-password",
            {"current_password": "Wrong-horse-9", "new_password": "Brand-new-pass-77"},
            format="json",
        )
        assert_error(response, 400, "Current password is incorrect")
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 3 and user_a.locked_until is not None
    assert_error(verify(anon_client, user_a.email, PASSWORD), 403)
    # While locked, even the right current password is refused.
    response = client.patch(
        "/users/me/change-password", {"current_password": PASSWORD, "new_password": "Brand-new-pass-77"}, format="json"
    )
    assert_error(response, 400, "Current password is incorrect")


def test_admin_reset_and_unlock_clear_the_lock(anon_client, user_a):
    for _ in range(3):
        verify(anon_client, user_a.email, "Wrong-horse-9")
    credentials.user_unlock(user=user_a)
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 0 and user_a.locked_until is None
    assert verify(anon_client, user_a.email, PASSWORD).status_code == 200

    for _ in range(3):
        verify(anon_client, user_a.email, "Wrong-horse-9")
    temporary = credentials.password_admin_reset(user=User.objects.get(pk=user_a.pk))
    assert verify(anon_client, user_a.email, temporary).status_code == 200


def test_zero_max_failures_never_locks(anon_client, user_a, settings):
    settings.LOCKOUT_MAX_FAILURES = 0
    for _ in range(5):
        verify(anon_client, user_a.email, "Wrong-horse-9")
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 5 and user_a.locked_until is None


def _concurrently(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_guesses_all_count(company_a, make_user, settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    settings.LOCKOUT_MAX_FAILURES = 1000
    user = make_user(company_a, "race@acme.test")
    statuses = _concurrently(20, lambda: verify(APIClient(), user.email, "Wrong-horse-9").status_code)
    assert statuses == [403] * 20
    user.refresh_from_db()
    assert user.failed_login_count == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_stop_at_the_limit_and_lock_once(company_a, make_user, settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    settings.LOCKOUT_MAX_FAILURES = 5
    user = make_user(company_a, "race2@acme.test")
    now = timezone.now()
    claims = _concurrently(20, lambda: credentials.login_attempt_claim(user=user, now=now))
    user.refresh_from_db()
    assert user.failed_login_count == 5
    assert sum(claim.claimed for claim in claims) == 5  # the other 15 were refused unchecked
    assert sum(claim.locked for claim in claims) == 1
    assert user.locked_until == now + timedelta(seconds=settings.LOCKOUT_SECONDS)


class SlowHasher(MD5PasswordHasher):
    """As slow as a real hash but without its CPU cost: concurrent guesses stay in flight together, and 40 of them
    do not starve the connection pool on a loaded machine."""

    algorithm = "slow_md5"

    def encode(self, password, salt):
        time.sleep(HASH_SECONDS)
        return super().encode(password, salt)

    def verify(self, password, encoded):
        time.sleep(HASH_SECONDS)
        return super().verify(password, encoded)


HASH_SECONDS = 0.1
SLOW_HASHERS = [f"{__name__}.SlowHasher"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("guesses", [30, 40])
def test_parallel_wrong_guesses_end_exactly_at_the_limit(company_a, make_user, settings, guesses):
    """A slow hash keeps many guesses in flight at once: none of them may count past the limit."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    settings.PASSWORD_HASHERS = SLOW_HASHERS
    settings.LOCKOUT_MAX_FAILURES = 10
    user = make_user(company_a, f"parallel{guesses}@acme.test")
    checked = []
    original = User.check_password
    User.check_password = lambda self, raw: checked.append(raw) or original(self, raw)
    try:
        statuses = _concurrently(guesses, lambda: verify(APIClient(), user.email, "Wrong-horse-9").status_code)
    finally:
        User.check_password = original
    assert statuses == [403] * guesses
    user.refresh_from_db()
    assert user.failed_login_count == 10
    assert user.locked_until is not None
    assert len(checked) == 10  # only the claimed attempts reached the hasher
    assert_error(verify(APIClient(), user.email, PASSWORD), 403, "User or password invalid")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_right_password_among_parallel_guesses_succeeds_while_unlocked(company_a, make_user, settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    settings.PASSWORD_HASHERS = SLOW_HASHERS
    settings.LOCKOUT_MAX_FAILURES = 10
    user = make_user(company_a, "mixed@acme.test")
    passwords = [PASSWORD] + ["Wrong-horse-9"] * 5
    statuses = _concurrently(len(passwords), lambda: verify(APIClient(), user.email, passwords.pop()).status_code)
    assert sorted(statuses) == [200] + [403] * 5
    user.refresh_from_db()
    assert user.locked_until is None and user.failed_login_count <= 5
