"""The row cache (identity.rowcache) serves the by-id reads only while the change feed vouches for them: a change
committed anywhere — another worker, another process, a plain SQL session — is seen at once, a deactivated or
deleted user loses access at once in every worker, and while the feed is down every read goes to the database."""

import time
import uuid

import psycopg
import pytest
import requests
from django.db import connection

from identity import rowcache
from identity.testing.live import database_url, gunicorn
from identity.testing.tokens import make_token
from users.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FEED = "identity-change-feed"


def _sql(statement: str, params=(), *, silent: bool = False) -> int:
    """Runs `statement` and commits, in a session of its own (whose backend pid it returns); `silent`: with
    triggers off (no notification), as no write of the service can do, so that only a served cached row can show
    the old value."""
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True) as conn:
        if silent:
            conn.execute("SET session_replication_role = replica")
        conn.execute(statement, params)
        return conn.info.backend_pid


def _feed_ready() -> None:
    deadline = time.monotonic() + 10
    while rowcache.fence() is None:  # the first call starts the feed in this process
        assert time.monotonic() < deadline, "the change feed did not connect"
        time.sleep(0.01)


def _read(user):
    """The read of a request: its fence, then the row."""
    fence = rowcache.fence()
    return User.objects.get_in_company(pk=user.pk, company_id=user.company_id, active_only=True, fence=fence)


def test_a_cached_row_is_served_until_a_change_is_notified(company_a, make_user):
    user = make_user(company_a, f"cache-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    assert _read(user).first_name == user.first_name
    _sql("UPDATE users_user SET first_name = 'Silent' WHERE id = %s", [user.pk], silent=True)
    # Served from the cache: the silent change is not seen (this is what makes the cache observable) …
    assert _read(user).first_name == user.first_name
    # … and every notified change is seen by the very next read, however soon after its commit.
    for attempt in range(30):
        _sql("UPDATE users_user SET first_name = %s WHERE id = %s", [f"Name {attempt}", user.pk])
        assert _read(user).first_name == f"Name {attempt}"
    _sql("UPDATE users_user SET is_active = false WHERE id = %s", [user.pk])
    assert _read(user) is None
    _sql("UPDATE users_user SET is_active = true WHERE id = %s", [user.pk])
    assert _read(user) is not None
    _sql("DELETE FROM users_user WHERE id = %s", [user.pk])
    assert _read(user) is None


def test_a_row_read_before_a_notified_change_is_not_kept(company_a, make_user):
    user = make_user(company_a, f"stale-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    read_at = rowcache.fence()
    stale = (user.pk,)  # what a read that began before the change would hold
    _sql("UPDATE users_user SET first_name = 'Changed' WHERE id = %s", [user.pk])
    assert rowcache.fence() != read_at  # the change was handed to the cache
    rowcache.store("users_user", user.pk, stale, read_at)
    assert rowcache.lookup("users_user", user.pk) is None


def test_no_cache_inside_a_transaction(company_a, make_user, django_assert_num_queries):
    from django.db import transaction

    user = make_user(company_a, f"atomic-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    _read(user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(first_name="Uncommitted")
        with django_assert_num_queries(1):
            assert _read(user).first_name == "Uncommitted"  # its own write, not yet notified to anyone


def test_while_the_feed_is_down_every_read_goes_to_the_database(company_a, make_user):
    user = make_user(company_a, f"down-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    assert _read(user) is not None
    _end_feed_sessions()
    _sql("UPDATE users_user SET first_name = 'While down' WHERE id = %s", [user.pk], silent=True)
    assert rowcache.fence() is None
    assert _read(user).first_name == "While down"
    _feed_ready()  # back: it starts empty
    _sql("UPDATE users_user SET first_name = 'Unnoticed' WHERE id = %s", [user.pk], silent=True)
    assert _read(user).first_name == "Unnoticed"


def _feed_sessions() -> int:
    """The change-feed sessions listening on the test database, but this process's own."""
    own = rowcache.feed._conn
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = %s AND pid <> %s"
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True) as conn:
        params = [FEED, connection.settings_dict["NAME"], own.info.backend_pid if own is not None else 0]
        return (conn.execute(query, params).fetchone() or (0,))[0]


def _end_feed_sessions() -> None:
    """Terminates every change-feed session on the test database and waits until they are gone."""
    name = connection.settings_dict["NAME"]
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = %s"
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(query, [FEED, name])]
        assert pids, "no change-feed session to end"
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)"
        while (conn.execute(alive, [pids]).fetchone() or (0,))[0]:
            assert time.monotonic() < deadline
            time.sleep(0.01)


def test_every_table_of_the_cache_has_the_feed_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name = %s",
            ["identity_row_changed"],
        )
        notified = {row[0] for row in cursor.fetchall()}
    assert notified == set(rowcache.NOTIFIED_TABLES)


# --- across gunicorn workers -------------------------------------------------------------------------------
@pytest.fixture
def two_workers():
    with gunicorn({"DATABASE_URL": database_url(), "DATABASE_POOL_MAX_SIZE": "2"}, workers=2) as (url, _log):
        yield url


def _get(url, path, token):
    # A new connection each time, so that the requests spread over both workers.
    return requests.get(f"{url}{path}", cookies={"access_token": token}, headers={"Connection": "close"}, timeout=30)


def test_a_deactivated_or_deleted_user_loses_access_at_once_in_every_worker(two_workers, company_a, make_user):
    url = two_workers
    admin = make_user(company_a, f"admin-{uuid.uuid4().hex[:8]}@acme.test")
    member = make_user(company_a, f"member-{uuid.uuid4().hex[:8]}@acme.test")
    admin_token, member_token = make_token(admin), make_token(member)
    # Each worker starts its change feed at its first request; once both are listening, both read (and cache)
    # the member and its row.
    deadline = time.monotonic() + 10
    while _feed_sessions() < 2:
        assert time.monotonic() < deadline, "the workers' change feeds did not connect"
        assert _get(url, f"/users/{member.pk}", member_token).status_code == 200
    for _ in range(12):
        assert _get(url, f"/users/{member.pk}", member_token).status_code == 200
    _sql("UPDATE users_user SET first_name = 'Silent' WHERE id = %s", [member.pk], silent=True)
    # Served from a worker's cache (the one that read the member before the silent change; the other may have
    # read it only after, and the workers take connections in turns of unequal length).
    names = set()
    for _ in range(60):
        names.add(_get(url, f"/users/{member.pk}", member_token).json()["first_name"])
        if member.first_name in names:
            break
    assert member.first_name in names

    # Deactivated through the API (in whichever worker), then refused by every worker at once.
    response = requests.patch(
        f"{url}/users/{member.pk}", json={"is_active": False}, cookies={"access_token": admin_token}, timeout=30
    )
    assert response.status_code == 200, response.text
    for _ in range(12):
        assert _get(url, f"/users/{member.pk}", member_token).status_code == 401
        assert _get(url, f"/users/{member.pk}", admin_token).json()["is_active"] is False

    # Reactivated, then deleted by a plain SQL session: refused at once as well.
    _sql("UPDATE users_user SET is_active = true WHERE id = %s", [member.pk])
    assert _get(url, f"/users/{member.pk}", member_token).status_code == 200
    _sql("DELETE FROM users_user WHERE id = %s", [member.pk])
    for _ in range(12):
        assert _get(url, f"/users/{member.pk}", member_token).status_code == 401
        assert _get(url, f"/users/{member.pk}", admin_token).status_code == 404


@pytest.mark.parametrize("path", ["/users/{user}", "/companies/{company}"])
def test_a_repeated_by_id_get_takes_no_query(client_a, user_a, company_a, django_assert_num_queries, path):
    _feed_ready()
    url = path.format(user=user_a.pk, company=company_a.pk)
    first = client_a.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):  # the caller and the path object, both from the cache (one fence)
        again = client_a.get(url)
    assert again.json() == first.json()
    _sql("UPDATE users_user SET first_name = 'Renamed' WHERE id = %s", [user_a.pk])
    _sql("UPDATE companies_company SET name = 'Renamed Inc' WHERE id = %s", [company_a.pk])
    # Both changed: both read again (the caller's own row once: the path object then comes from the cache).
    with django_assert_num_queries(1 if path.startswith("/users") else 2):
        changed = client_a.get(url)
    assert changed.json()["first_name" if "users" in path else "name"] in ("Renamed", "Renamed Inc")


def test_a_write_reads_its_row_from_the_cache_as_committed_before_it(
    client_a, company_a, make_user, django_assert_num_queries
):
    """A PATCH reads its path object where a GET would (the row committed before the request), and writes the
    change with its audit event in one statement."""
    from identity.models import AuditEvent

    member = make_user(company_a, f"write-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    assert client_a.get(f"/users/{member.pk}").status_code == 200  # the caller and the member now cached
    with django_assert_num_queries(1):
        assert client_a.patch(f"/users/{member.pk}", {"last_name": "Cached"}, format="json").status_code == 200
    _sql("UPDATE users_user SET first_name = 'Elsewhere' WHERE id = %s", [member.pk])
    response = client_a.patch(f"/users/{member.pk}", {"last_name": "Current"}, format="json")
    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Elsewhere", "Current")
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Elsewhere", "Current")
    events = AuditEvent.objects.filter(object_id=member.pk, action="user.update").order_by("created_at")
    assert [event.changed_fields for event in events] == [["last_name"], ["last_name"]]


# --- a write keeps the row it committed ----------------------------------------------------------------------
def _columns_of(user) -> tuple:
    """The row of `user` as the database has it now, in the row cache's order."""
    from identity import tenancy

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {tenancy.row_columns(User, 'default')} FROM users_user WHERE id = %s", [user.pk])
        return cursor.fetchone()


def test_a_write_keeps_the_row_it_committed(client_a, user_a, company_a, make_user, django_assert_num_queries):
    member = make_user(company_a, f"through-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    assert client_a.get(f"/users/{member.pk}").status_code == 200
    response = client_a.patch(f"/users/{member.pk}", {"last_name": "Kept", "first_name": "Row"}, format="json")
    assert response.status_code == 200
    with django_assert_num_queries(0):  # the caller and the member, both from the cache: the member as written
        again = client_a.get(f"/users/{member.pk}")
    assert again.json() == response.json()
    assert (again.json()["first_name"], again.json()["last_name"]) == ("Row", "Kept")
    assert rowcache.lookup("users_user", member.pk) == _columns_of(member)
    # The caller changing its own user: its next request reads no row either.
    assert client_a.patch(f"/users/{user_a.pk}", {"first_name": "Self"}, format="json").status_code == 200
    with django_assert_num_queries(0):
        assert client_a.get(f"/users/{user_a.pk}").json()["first_name"] == "Self"
    assert rowcache._expected == {}


def test_a_change_committed_after_the_write_is_not_hidden_by_it(client_a, company_a, make_user):
    member = make_user(company_a, f"after-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    assert client_a.patch(f"/users/{member.pk}", {"last_name": "Ours"}, format="json").status_code == 200
    # Another session's change commits before this process's next fence: both notifications arrive at that fence,
    # in commit order; the second evicts the row the first kept.
    _sql("UPDATE users_user SET first_name = 'Theirs' WHERE id = %s", [member.pk])
    body = client_a.get(f"/users/{member.pk}").json()
    assert (body["first_name"], body["last_name"]) == ("Theirs", "Ours")
    assert rowcache.lookup("users_user", member.pk) == _columns_of(member)


def test_only_the_writers_own_notification_keeps_the_row(company_a, make_user):
    member = make_user(company_a, f"pid-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    entry = rowcache.expect("users_user", member.pk)
    assert entry is not None
    rowcache.written(entry, 1, ("what the write returned",))
    # A change by another backend: evicted as usual, the expectation waits for its own notification.
    other = _sql("UPDATE users_user SET first_name = 'Other' WHERE id = %s", [member.pk])
    assert other != 1
    assert rowcache.fence() is not None
    assert rowcache.lookup("users_user", member.pk) is None
    assert rowcache._expected[("users_user", member.pk)] == [entry]
    rowcache.cancel(entry)
    assert rowcache._expected == {}


def test_a_notification_before_the_row_is_handed_over_spoils_the_write(company_a, make_user):
    member = make_user(company_a, f"early-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    entry = rowcache.expect("users_user", member.pk)
    pid = _sql("UPDATE users_user SET first_name = 'Early' WHERE id = %s", [member.pk])
    assert rowcache.fence() is not None  # the notification arrives while the write has not handed its row over
    rowcache.written(entry, pid, ("stale",))  # even from the very backend that notified: not kept
    assert rowcache._expected == {}
    assert rowcache.lookup("users_user", member.pk) is None


def test_an_expectation_past_its_time_or_of_an_earlier_feed_session_keeps_nothing(
    client_a, company_a, make_user, monkeypatch, django_assert_num_queries
):
    member = make_user(company_a, f"late-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    monkeypatch.setattr(rowcache, "EXPECT_SECONDS", -1.0)
    assert client_a.patch(f"/users/{member.pk}", {"last_name": "Late"}, format="json").status_code == 200
    with django_assert_num_queries(1):  # evicted, not kept: the member is read again
        assert client_a.get(f"/users/{member.pk}").json()["last_name"] == "Late"
    monkeypatch.undo()
    entry = rowcache.expect("users_user", member.pk)
    rowcache.written(entry, 1, ("from the earlier session",))
    _end_feed_sessions()
    assert rowcache.fence() is None
    _feed_ready()  # a new listening session starts empty, expectations included
    assert rowcache._expected == {}


def test_a_failed_write_keeps_nothing(company_a, make_user):
    from django.db import IntegrityError

    from identity.services import RowGone, save_fields

    member = make_user(company_a, f"failed-{uuid.uuid4().hex[:8]}@acme.test")
    _feed_ready()
    member.failed_login_count = -1  # refused by the table's check constraint
    with pytest.raises(IntegrityError):
        save_fields(member, ["failed_login_count"])
    assert rowcache._expected == {}
    gone = make_user(company_a, f"gone-{uuid.uuid4().hex[:8]}@acme.test")
    _sql("DELETE FROM users_user WHERE id = %s", [gone.pk])
    gone.first_name = "Nobody"
    with pytest.raises(RowGone):
        save_fields(gone, ["first_name"])
    assert rowcache._expected == {}
