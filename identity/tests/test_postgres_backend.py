"""The PostgreSQL backend (identity/postgres/base.py): its `timestamptz` loader (psycopg's own where it gives what
Django's gives, Django's everywhere else) and the pooled connection a thread keeps between requests."""

import datetime
import threading

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from identity.postgres import base
from identity.testing.live import database_url
from users.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
PSYCOPGS = psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
VALUES = (
    "SELECT '2020-02-29 23:59:59.999999+05:30'::timestamptz, '1970-01-01 00:00:00+00'::timestamptz, NULL::timestamptz"
)


def _loader(cursor) -> type:
    return cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


def test_a_cursor_loads_timestamptz_with_psycopgs_loader_and_the_values_djangos_gives():
    with connection.cursor() as cursor:
        assert _loader(cursor) is PSYCOPGS
        cursor.execute(VALUES)
        ours = cursor.fetchone()
        register_tzloader(connection.timezone, cursor.cursor)  # what Django's own backend loads with
        assert _loader(cursor) is not PSYCOPGS
        cursor.execute(VALUES)
        djangos = cursor.fetchone()
    assert ours == djangos
    assert [value.tzinfo for value in ours[:2]] == [value.tzinfo for value in djangos[:2]] == [datetime.UTC] * 2
    assert ours[0] == datetime.datetime(2020, 2, 29, 18, 29, 59, 999999, tzinfo=datetime.UTC)
    assert ours[2] is None


def test_model_rows_come_back_aware_in_utc(company_a, make_user):
    user = make_user(company_a, "loader@acme.test")
    again = User.objects.get(pk=user.pk)
    assert again.created_at.tzinfo is datetime.UTC
    assert again.created_at == user.created_at


def test_a_session_in_another_time_zone_keeps_djangos_loader():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Europe/Paris'")
        with connection.cursor() as other:
            assert _loader(other) is not PSYCOPGS


def test_a_server_side_cursor_keeps_djangos_loader():
    with transaction.atomic():
        cursor = connection.chunked_cursor()
        try:
            assert _loader(cursor) is not PSYCOPGS
        finally:
            cursor.close()


# --- the connection kept between requests ----------------------------------------------------------------------------
def _request() -> object:
    """One request's database use as Django frames it (the signals close_old_connections listens to); returns the
    psycopg connection it ran on."""
    request_started.send(None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        used = cursor.cursor.connection
    request_finished.send(None)
    return used


@pytest.fixture
def pooled():
    if connection.pool is None:
        pytest.skip("needs the connection pool")
    connection.close()
    yield connection.pool
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_main_thread_keeps_its_connection_from_one_request_to_the_next(pooled):
    taken = pooled.get_stats()["requests_num"]
    first = _request()
    assert connection.connection is first  # not handed back at the end of the request
    assert _request() is first
    assert pooled.get_stats()["requests_num"] - taken == 1  # one checkout for both requests


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_goes_back_to_the_pool_after_the_hold(pooled, monkeypatch):
    _request()
    monkeypatch.setattr(connection, "_held_until", 0.0)
    request_finished.send(None)
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_the_server_ended_is_dropped_before_the_next_request(pooled):
    ended = _request()
    with psycopg.connect(database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [ended.info.backend_pid])
        for _ in range(100):
            if base._ended(ended):
                break
            threading.Event().wait(0.05)
    # Handed back as the request started (the pool's own check drops it before handing it out again), and the
    # request ran on a good connection, which the thread now keeps.
    assert _request() is not ended
    assert connection.connection is not None and connection.connection is not ended


@pytest.mark.django_db(transaction=True)
def test_a_connection_after_an_error_follows_djangos_rule(pooled):
    _request()
    connection.errors_occurred = True
    request_finished.send(None)  # Django's rule: still usable, but past CONN_MAX_AGE (0), so handed back
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_another_thread_hands_its_connection_back_after_each_request(pooled):
    kept = []

    def serve():
        _request()
        kept.append(connection.connection)
        connection.close()

    worker = threading.Thread(target=serve)
    worker.start()
    worker.join(10)
    assert kept == [None]
