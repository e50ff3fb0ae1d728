"""Every list answers in at most 4 queries whatever `limit` and `expand`, and every by-id GET in at most 2
(docs/behaviour.md: reads stay flat as the data grows); the hot writes (a PATCH, a login) stay at the statements
they need."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identity.models import AuditEvent
from identity.testing.admin import seed_rows
from identity.testing.constants import PASSWORD

pytestmark = pytest.mark.django_db

ROWS = 30  # more rows of every resource than one page of `limit=10` holds: a per-row query would show
LISTS = {
    "/users": ["", "position"],
    "/companies": [""],
    "/organization_units": ["", "parent", "children", "positions", "parent,children,positions"],
    "/positions": ["", "organization_unit"],
    "/customers": [""],
    "/subcontractors": [""],
}
BY_ID = {
    "/users/{user}",
    "/companies/{company}",
    "/organization_units/{unit}",
    "/positions/{position}",
    "/customers/{customer}",
    "/subcontractors/{subcontractor}",
}


@pytest.fixture
def populated(directory_a, company_a):
    seed_rows(company_a, ROWS)
    return directory_a


@pytest.mark.parametrize("path, expand", [(path, expand) for path, expands in LISTS.items() for expand in expands])
@pytest.mark.parametrize("limit", ["10", "1000"])
def test_every_list_takes_at_most_4_queries(client_a, populated, django_assert_max_num_queries, path, expand, limit):
    params = {"limit": limit, **({"expand": expand} if expand else {})}
    with django_assert_max_num_queries(4):
        response = client_a.get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["data"]) == min(int(limit), body["pagination"]["total"])


@pytest.mark.parametrize("template", sorted(BY_ID))
def test_every_by_id_get_takes_at_most_2_queries(client_a, populated, django_assert_max_num_queries, template):
    with django_assert_max_num_queries(2):  # the caller, the path object
        response = client_a.get(template.format(**populated))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("path", sorted(LISTS))
@pytest.mark.parametrize(
    "params",
    [
        {"sort": "updated_at", "order": "desc", "limit": "1000"},  # unfiltered: the counter's total
        {"page": "1000"},  # past the end: the total on its own
        {"search": "e", "limit": "1000"},  # filtered: COUNT
        {"search": "e", "page": "1000"},
    ],
)
def test_every_sorted_filtered_or_past_the_end_list_takes_at_most_4_queries(
    client_a, populated, django_assert_max_num_queries, path, params
):
    with django_assert_max_num_queries(4):
        response = client_a.get(path, params)
    assert response.status_code == 200, response.content


def _writes(captured) -> list[str]:
    """The statements of a request but the savepoints that stand, inside the test's transaction, for the
    BEGIN and COMMIT of the request's own."""
    return [
        query["sql"].split(" ", 1)[0]
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_patch_takes_one_update_and_one_event_insert(client_a, user_a):
    with CaptureQueriesContext(connection) as captured:
        response = client_a.patch(f"/users/{user_a.pk}", {"first_name": "Changed"}, format="json")
    assert response.status_code == 200, response.content
    # the caller, the path object, the UPDATE and its user.update event: on PostgreSQL one statement (WITH …
    # UPDATE … INSERT), elsewhere two in a transaction
    change = ["WITH"] if connection.vendor == "postgresql" else ["UPDATE", "INSERT"]
    assert _writes(captured) == ["SELECT", "SELECT", *change]
    assert AuditEvent.objects.filter(action="user.update", object_id=user_a.pk).count() == 1


def test_a_patch_that_changes_nothing_takes_the_update_alone(client_a, user_a):
    before = client_a.get(f"/users/{user_a.pk}").json()
    with CaptureQueriesContext(connection) as captured:
        response = client_a.patch(f"/users/{user_a.pk}", {"first_name": before["first_name"]}, format="json")
    assert response.status_code == 200, response.content
    # No event to record: the UPDATE of updated_at alone, in no transaction of its own.
    assert [query["sql"].split(" ", 1)[0] for query in captured.captured_queries] == ["SELECT", "SELECT", "UPDATE"]
    assert response.json()["updated_at"] > before["updated_at"]
    assert not AuditEvent.objects.filter(action="user.update", object_id=user_a.pk).exists()


@pytest.fixture
def open_verification(settings):
    settings.INTERNAL_AUTH_TOKEN = ""
    settings.RATELIMIT_ENABLE = False


@pytest.mark.usefixtures("open_verification")
def test_a_login_takes_the_lookup_the_claim_the_success_write_and_its_event(anon_client, user_a):
    with CaptureQueriesContext(connection) as captured:
        response = anon_client.post("/verify_password", {"email": user_a.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    # The success's write and its password.verify_success event: on PostgreSQL one statement (WITH … INSERT).
    success = ["WITH"] if connection.vendor == "postgresql" else ["UPDATE", "INSERT"]
    assert _writes(captured) == ["SELECT", "UPDATE", *success]


@pytest.mark.usefixtures("open_verification")
def test_a_wrong_password_takes_the_lookup_the_claim_and_its_event(anon_client, user_a):
    with CaptureQueriesContext(connection) as captured:
        response = anon_client.post("/verify_password", {"email": user_a.email, "password": "Wrong-9x"}, format="json")
    assert response.status_code == 403, response.content
    assert _writes(captured) == ["SELECT", "UPDATE", "INSERT"]
