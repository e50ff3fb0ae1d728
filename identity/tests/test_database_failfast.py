"""The database fails fast: an unreachable server or a blocked query answers 503 within its timeout, and service
resumes within 5 s of the server's return (docs: README, "Running with PostgreSQL and Redis")."""

import time

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import OperationalError, connection

from identity.postgres import statement_timeout
from identity.testing.live import database_url, gunicorn
from identity.testing.tcpproxy import TcpProxy
from identity.testing.tokens import make_token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONNECT_TIMEOUT = 2
STATEMENT_TIMEOUT = 2


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(scope="module")
def proxied_server(django_db_setup):
    """One gunicorn worker whose database is reached through a proxy the test controls."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
    proxy.open()
    env = {
        "DATABASE_URL": database_url(host="127.0.0.1", port=proxy.port),
        "DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "DATABASE_STATEMENT_TIMEOUT": str(STATEMENT_TIMEOUT),
    }
    try:
        with gunicorn(env, workers=1) as (url, log):
            yield url, proxy, log
    finally:
        proxy.close()


@pytest.fixture
def live(proxied_server, user_a):
    url, proxy, log = proxied_server
    proxy.open()
    session = requests.Session()
    session.cookies.set("access_token", make_token(user_a))
    _wait_until_served(session, url)
    return url, proxy, session, log


def _users(session, url):
    started = time.monotonic()
    response = session.get(f"{url}/users", timeout=30, headers={"Connection": "close"})
    return response, time.monotonic() - started


def _wait_until_served(session, url, within: float = 10.0) -> float:
    started = time.monotonic()
    while True:
        response, _ = _users(session, url)
        if response.status_code == 200:
            return time.monotonic() - started
        assert time.monotonic() - started < within, (response.status_code, response.text)
        time.sleep(0.1)


def _assert_unavailable_within(session, url, bound: float) -> None:
    response, elapsed = _users(session, url)
    assert response.status_code == 503, response.text
    assert response.json() == {"message": "Database unavailable"}
    assert elapsed < bound, f"503 after {elapsed:.2f} s, bound {bound} s"


def test_refused_connections_answer_503_at_once_and_service_resumes(live):
    url, proxy, session, _log = live
    proxy.close()
    for _ in range(3):
        _assert_unavailable_within(session, url, CONNECT_TIMEOUT + 1)
    started = time.monotonic()
    live_probe = requests.get(f"{url}/health/live", timeout=5)
    assert live_probe.status_code == 200 and time.monotonic() - started < 1
    # After the first failure the pool no longer makes callers wait: a refused connection answers at once.
    _response, elapsed = _users(session, url)
    assert elapsed < 1, elapsed
    proxy.open()
    assert _wait_until_served(session, url) < 5


def test_unanswered_connections_answer_503_within_the_connect_timeout(live):
    url, proxy, session, _log = live
    proxy.blackhole()
    for _ in range(2):
        _assert_unavailable_within(session, url, CONNECT_TIMEOUT + 1)
    assert requests.get(f"{url}/health/live", timeout=1).status_code == 200
    proxy.open()
    assert _wait_until_served(session, url) < 5


def test_query_blocked_on_a_lock_answers_503_within_the_statement_timeout(live):
    url, _proxy, session, log = live
    with psycopg.connect(database_url()) as holder:
        holder.execute("LOCK TABLE users_user IN ACCESS EXCLUSIVE MODE")
        _assert_unavailable_within(session, url, STATEMENT_TIMEOUT + 1)
        holder.rollback()
    response, _ = _users(session, url)
    assert response.status_code == 200
    log.seek(0)
    assert b"WORKER TIMEOUT" not in log.read()


def test_connections_start_with_the_statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name IN ('statement_timeout', 'lock_timeout')")
        values = dict(cursor.fetchall())
    expected = str(int(settings.DATABASE_STATEMENT_TIMEOUT * 1000))
    assert values == {"statement_timeout": expected, "lock_timeout": expected}


def test_a_command_can_raise_the_statement_timeout_for_its_own_work():
    with statement_timeout(0.2):
        with pytest.raises(OperationalError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
    with statement_timeout(30):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout')")
            assert cursor.fetchone()[0] == "30s"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        assert cursor.fetchone()[0] != "30s"


def test_a_statement_a_connection_repeats_is_prepared():
    """After DATABASE_PREPARE_THRESHOLD runs of the same SQL the connection prepares it: PostgreSQL then parses and
    plans it once (Django leaves psycopg's preparing off unless asked)."""
    marker = f"prepared-{time.monotonic_ns()}"

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT %s::text AS "{marker}"', ["x"])

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
            return cursor.fetchone()[0]

    assert settings.DATABASE_PREPARE_THRESHOLD > 0
    for _ in range(settings.DATABASE_PREPARE_THRESHOLD):
        run()
    assert prepared() == 0
    run()  # psycopg prepares the statement it has run that many times, at its next run
    assert prepared() == 1


# --- the pool's check before it hands out a connection ---------------------------------------------------------------
def test_a_pooled_connection_the_server_ended_is_dropped_not_used():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()  # back to the pool
    with psycopg.connect(database_url(), autocommit=True) as admin:
        ended = [
            pid
            for (pid,) in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state = 'idle'"
            ).fetchall()
        ]
        assert ended, "no pooled connection to end"
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [ended])
        _wait_until_gone(admin, ended)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_the_check_of_a_healthy_idle_connection_makes_no_round_trip():
    from identity.postgres.base import check_pooled_connection

    with psycopg.connect(database_url(), autocommit=True) as conn:
        sent = []
        real_execute = conn.execute
        conn.execute = lambda *args, **kwargs: sent.append(args) or real_execute(*args, **kwargs)
        check_pooled_connection(conn)
        assert sent == []
        with psycopg.connect(database_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
            _wait_until_gone(admin, [conn.info.backend_pid])
        with pytest.raises(psycopg.OperationalError):
            check_pooled_connection(conn)
        assert sent == [("",)]


def _wait_until_gone(admin, pids, within: float = 10.0) -> None:
    """pg_terminate_backend only signals: wait until the backends have exited (and so closed their sockets)."""
    deadline = time.monotonic() + within
    while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]).fetchone()[0]:
        assert time.monotonic() < deadline, "the terminated backends did not exit"
        time.sleep(0.05)
    time.sleep(0.05)  # the server's goodbye reaches the client's sockets
