"""`GET|POST /init-db` (docs/behaviour.md §10): public, one shot, one transaction, exactly one winner under
concurrency."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from companies.models import Company
from identity.testing.assertions import assert_error
from org.models import OrganizationUnit, Position
from users.models import User

PASSWORD = "Str0ng-Passw0rd!"


def body(name="Initech", email="admin@initech.test", **extra):
    return {
        "company": {"name": name, "city": "Austin"},
        "user": {"email": email, "password": PASSWORD, "first_name": "Delta", "language": "fr"},
        **extra,
    }


def counts():
    return (Company.objects.count(), OrganizationUnit.objects.count(), Position.objects.count(), User.objects.count())


@pytest.mark.django_db
def test_get_on_an_empty_store_says_not_initialized(anon_client, guardian):
    response = anon_client.get("/init-db")
    assert response.status_code == 200
    assert response.json() == {"initialized": False}
    assert guardian.checks() == []  # public: no Guardian call


@pytest.mark.django_db
def test_get_says_initialized_once_a_company_exists(anon_client, company_a):
    assert anon_client.get("/init-db/").json() == {"initialized": True}


@pytest.mark.django_db
def test_post_creates_the_four_objects(anon_client, guardian):
    response = anon_client.post("/init-db", body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"company", "organization_unit", "position", "user"}
    company, unit, position, user = data["company"], data["organization_unit"], data["position"], data["user"]
    assert company["name"] == "Initech" and company["city"] == "Austin" and "has_logo" in company
    assert unit["name"] == "default organization"
    assert (unit["parent_id"], unit["level"], unit["path"], unit["company_id"]) == (None, 0, unit["id"], company["id"])
    assert position["title"] == "Administrator" and position["level"] == 0
    assert (position["organization_unit_id"], position["company_id"]) == (unit["id"], company["id"])
    assert (user["position_id"], user["company_id"], user["email"], user["language"]) == (
        position["id"],
        company["id"],
        "admin@initech.test",
        "fr",
    )
    assert "password" not in user
    assert set(user) >= {"is_active", "is_verified", "last_password_change", "created_at"}
    assert counts() == (1, 1, 1, 1)
    stored = User.objects.get(pk=user["id"])
    assert stored.check_password(PASSWORD) and stored.is_active
    stored_unit = OrganizationUnit.objects.get(pk=unit["id"])
    assert (stored_unit.path, stored_unit.level, stored_unit.parent_id) == (str(stored_unit.pk), 0, None)
    assert guardian.checks() == []
    assert anon_client.get("/init-db").json() == {"initialized": True}


@pytest.mark.django_db
def test_the_created_admin_can_use_the_api(anon_client, token_client):
    user_id = anon_client.post("/init-db", body(), format="json").json()["user"]["id"]
    client = token_client(User.objects.get(pk=user_id))
    rows = client.get("/users?expand=position").json()["data"]
    assert [row["position"]["title"] for row in rows] == ["Administrator"]


@pytest.mark.django_db
def test_post_again_is_403_and_changes_nothing(anon_client):
    assert anon_client.post("/init-db", body(), format="json").status_code == 201
    before = counts()
    assert_error(
        anon_client.post("/init-db", body(name="Other", email="x@other.test"), format="json"),
        403,
        "Identity already initialized",
    )
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, ["company"], {"company": "x", "user": "y"}, b"{not json"])
def test_initialized_is_checked_before_the_body(anon_client, company_a, payload):
    if isinstance(payload, bytes):
        response = anon_client.generic("POST", "/init-db", payload, content_type="application/json")
    else:
        response = anon_client.post("/init-db", payload, format="json")
    assert_error(response, 403, "Identity already initialized")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        {"company": {"name": "Initech"}},
        {"user": {"email": "a@b.test", "password": PASSWORD}},
        {"company": "Initech", "user": {"email": "a@b.test", "password": PASSWORD}},
        {"company": {"name": "Initech"}, "user": None},
    ],
)
def test_missing_objects_are_400(anon_client, payload):
    body_ = assert_error(
        anon_client.post("/init-db", payload, format="json"), 400, "'company' and 'user' data are required."
    )
    assert "errors" not in body_
    assert counts() == (0, 0, 0, 0)


@pytest.mark.django_db
def test_company_errors_come_first_under_their_own_names(anon_client):
    payload = {"company": {"website": "nope"}, "user": {"email": "bad", "password": "x"}}
    response_body = assert_error(
        anon_client.post("/init-db", payload, format="json"), 400, "Validation error", fields=("name", "website")
    )
    assert set(response_body["errors"]) == {"name", "website"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user, field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "bad", "password": PASSWORD}, "email"),
        ({"email": "a@b.test"}, "password"),
        ({"email": "a@b.test", "password": "short"}, "password"),
        ({"email": "a@b.test", "password": PASSWORD, "language": "xx"}, "language"),
        ({"email": "a@b.test", "password": PASSWORD, "position_id": None}, "position_id"),
        ({"email": "a@b.test", "password": PASSWORD, "is_staff": True}, "is_staff"),
    ],
)
def test_user_errors_under_their_own_names_and_nothing_is_kept(anon_client, user, field):
    payload = {"company": {"name": "Initech"}, "user": user}
    assert_error(anon_client.post("/init-db", payload, format="json"), 400, "Validation error", fields=(field,))
    assert counts() == (0, 0, 0, 0)
    assert anon_client.get("/init-db").json() == {"initialized": False}


@pytest.mark.django_db
def test_extra_top_level_keys_are_ignored(anon_client):
    response = anon_client.post("/init-db", body(organization={"name": "x"}, debug=True), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_no_token_needed_and_a_bad_one_is_ignored(anon_client):
    anon_client.cookies["access_token"] = "garbage"
    assert anon_client.post("/init-db", body(), format="json").status_code == 201


@pytest.mark.django_db
def test_wrong_method_is_405(anon_client):
    assert_error(anon_client.put("/init-db", body(), format="json"), 405)


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_have_exactly_one_winner() -> None:
    callers = 6
    barrier = threading.Barrier(callers)
    statuses: list[int] = []
    lock = threading.Lock()

    def call(index: int):
        try:
            client = APIClient()
            barrier.wait(timeout=10)
            response = client.post(
                "/init-db", body(name=f"Tenant {index}", email=f"admin{index}@t.test"), format="json"
            )
            if response.status_code != 201:
                assert_error(response, 403, "Identity already initialized")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [403] * (callers - 1), statuses
    assert counts() == (1, 1, 1, 1)


@pytest.mark.django_db
def test_post_is_rate_limited_per_ip(anon_client, company_a, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_INIT_DB = "2/h"
    for _ in range(2):
        assert_error(anon_client.post("/init-db", {}, format="json"), 403, "Identity already initialized")
    response = anon_client.post("/init-db", {}, format="json")
    assert_error(response, 429, "Too many requests")
    assert int(response.headers["Retry-After"]) >= 1
    # another client address has its own bucket
    other = anon_client.post("/init-db", {}, format="json", REMOTE_ADDR="10.9.8.7")
    assert_error(other, 403, "Identity already initialized")
