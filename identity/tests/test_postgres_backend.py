"""The PostgreSQL backend's `timestamptz` loader (identity/postgres/base.py): psycopg's own where it gives what
Django's gives, Django's everywhere else."""

import datetime

import psycopg
import pytest
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

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
