"""The user list and `/positions/{position_id}/users`: filters, sort, search, expand, query counts (docs/behaviour.md
§5, §6.6)."""

import uuid

import pytest

from identity.testing.assertions import assert_error
from identity.testing.constants import USER_REPRESENTATION_KEYS
from org.models import Position
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(company_a, user_a, directory_a):
    """Company A: alpha (the caller) and three more users, two of them holding the directory's position."""
    position = directory_a["position"]
    make = User.objects.create_user
    make(
        email="zeta@acme.test",
        password="x-Passw0rd!",
        company=company_a,
        first_name="Zeta",
        last_name="Accounts",
        language="fr",
        position_id=position,
    )
    make(
        email="mu@acme.test",
        password="x-Passw0rd!",
        company=company_a,
        first_name="Mu",
        last_name="Warehouse",
        is_active=False,
        position_id=position,
    )
    make(
        email="upsilon_m@acme.test",
        password="x-Passw0rd!",
        company=company_a,
        first_name="Upsilon",
        last_name="50% Off",
    )
    return position


def emails(client, query=""):
    response = client.get(f"/users{query}")
    assert response.status_code == 200, response.content
    return [row["email"] for row in response.json()["data"]]


def test_list_is_scoped_to_the_callers_company(client_a, people, user_b):
    assert set(emails(client_a)) == {"alpha@acme.test", "zeta@acme.test", "mu@acme.test", "upsilon_m@acme.test"}


def test_sort_and_order(client_a, people):
    assert emails(client_a) == ["alpha@acme.test", "zeta@acme.test", "mu@acme.test", "upsilon_m@acme.test"]
    assert emails(client_a, "?sort=created_at&order=DESC") == [
        "upsilon_m@acme.test",
        "mu@acme.test",
        "zeta@acme.test",
        "alpha@acme.test",
    ]
    assert emails(client_a, "?sort=last_name") == [
        "upsilon_m@acme.test",
        "zeta@acme.test",
        "alpha@acme.test",
        "mu@acme.test",
    ]
    assert emails(client_a, "?sort=password") == emails(client_a)  # unknown → created_at
    assert emails(client_a, "?sort=updated_at&order=desc")[0] == "upsilon_m@acme.test"


def test_sort_by_email(client_a, make_user, company_a, user_a):
    make_user(company_a, "b-user@acme.test")
    make_user(company_a, "c-user@acme.test")
    assert emails(client_a, "?sort=email") == ["alpha@acme.test", "b-user@acme.test", "c-user@acme.test"]
    assert emails(client_a, "?sort=email&order=desc") == ["c-user@acme.test", "b-user@acme.test", "alpha@acme.test"]


def test_email_filter_is_case_insensitive_exact(client_a, people, user_b, make_user, company_a):
    make_user(company_a, "Mixed.Case@Acme.test")
    # create_user lower-cases the domain only
    assert emails(client_a, "?email=mixed.case@acme.TEST") == ["Mixed.Case@acme.test"]
    assert emails(client_a, "?email=ZETA@ACME.TEST") == ["zeta@acme.test"]
    assert emails(client_a, "?email=zeta@acme") == []
    assert emails(client_a, "?email=beta@globex.test") == []  # another company's user
    assert len(emails(client_a, "?email=")) == 5  # empty value ignored


def test_position_filter(client_a, people, directory_b):
    assert emails(client_a, f"?position_id={people}&sort=email") == ["mu@acme.test", "zeta@acme.test"]
    assert set(emails(client_a, "?position_id=null")) == {"alpha@acme.test", "upsilon_m@acme.test"}
    assert set(emails(client_a, "?position_id=NULL")) == {"alpha@acme.test", "upsilon_m@acme.test"}
    assert emails(client_a, f"?position_id={directory_b['position']}") == []
    assert_error(client_a.get("/users?position_id=nope"), 400, fields=("position_id",))


def test_is_active_and_language_filters(client_a, people):
    assert emails(client_a, "?is_active=false") == ["mu@acme.test"]
    assert len(emails(client_a, "?is_active=true")) == 3
    assert len(emails(client_a, "?is_active=")) == 4
    assert_error(client_a.get("/users?is_active=perhaps"), 400, fields=("is_active",))
    assert emails(client_a, "?language=fr") == ["zeta@acme.test"]
    assert emails(client_a, "?language=de") == []


def test_search_over_email_and_names(client_a, people, user_b):
    assert emails(client_a, "?search=ZETA") == ["zeta@acme.test"]  # email and first name
    assert emails(client_a, "?search=wareh") == ["mu@acme.test"]  # last name
    assert emails(client_a, "?search=tester") == ["alpha@acme.test"]
    assert emails(client_a, "?search=beta") == []  # never another company's
    assert emails(client_a, "?search=%25") == ["upsilon_m@acme.test"]  # literal %
    assert emails(client_a, "?search=n_m") == ["upsilon_m@acme.test"]  # literal _
    assert emails(client_a, "?search=_") == ["upsilon_m@acme.test"]


def test_id_in_and_pagination(client_a, people):
    ids = [row["id"] for row in client_a.get("/users").json()["data"]]
    body = client_a.get(f"/users?id__in={ids[1]}, {ids[2]}").json()
    assert [row["id"] for row in body["data"]] == ids[1:3]
    page = client_a.get("/users?limit=3&page=2").json()
    assert [row["id"] for row in page["data"]] == ids[3:]
    assert page["pagination"] == {"page": 2, "limit": 3, "total": 4, "pages": 2, "has_next": False, "has_prev": True}


def test_expand_position(client_a, people, directory_a):
    rows = client_a.get("/users?expand=POSITION,unknown&sort=email").json()["data"]
    by_email = {row["email"]: row for row in rows}
    position = Position.objects.get(pk=directory_a["position"])
    assert by_email["zeta@acme.test"]["position"] == {
        "id": str(position.pk),
        "title": "Engineer",
        "description": None,
        "level": None,
        "organization_unit_id": str(position.organization_unit_id),
    }
    assert by_email["alpha@acme.test"]["position"] is None
    assert "position" not in client_a.get("/users").json()["data"][0]


def test_expand_on_the_by_id_read(client_a, people, directory_a):
    zeta = User.objects.get(email="zeta@acme.test")
    body = client_a.get(f"/users/{zeta.pk}?expand=position").json()
    assert body["position"]["id"] == directory_a["position"]
    assert "position" not in client_a.get(f"/users/{zeta.pk}").json()
    # expand is for GET only
    assert (
        "position" not in client_a.patch(f"/users/{zeta.pk}?expand=position", {"first_name": "Z"}, format="json").json()
    )


@pytest.fixture
def many_users(company_a, user_a, directory_a):
    position = directory_a["position"]
    User.objects.bulk_create(
        [
            User(
                company=company_a,
                email=f"user{i:04}@acme.test",
                password="!",
                first_name="U",
                last_name=f"{i:04}",
                position_id=position if i % 2 else None,
            )
            for i in range(1100)
        ]
    )


@pytest.mark.parametrize("query", ["", "&expand=position", "&sort=last_name&order=desc&is_active=true"])
def test_list_of_1000_uses_a_constant_number_of_queries(client_a, many_users, django_assert_max_num_queries, query):
    with django_assert_max_num_queries(3):  # the caller, the count, the page (position joined when expanded)
        response = client_a.get(f"/users?limit=1000{query}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data) == 1000
    if "expand" in query:  # each row's position is the one the user holds (every other user holds one)
        held = dict(User.objects.filter(pk__in=[row["id"] for row in data]).values_list("pk", "position_id"))
        assert {row["id"]: row["position"] and row["position"]["id"] for row in data} == {
            str(pk): position_id and str(position_id) for pk, position_id in held.items()
        }


def test_position_users_lists_the_holders_by_email(client_a, people, directory_a, user_b):
    response = client_a.get(f"/positions/{directory_a['position']}/users")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert [row["email"] for row in body] == ["mu@acme.test", "zeta@acme.test"]
    assert set(body[0]) == USER_REPRESENTATION_KEYS


def test_position_users_ordered_by_email(client_a, company_a, directory_a):
    for email in ("c@acme.test", "a@acme.test", "b@acme.test"):
        User.objects.create_user(
            email=email, password="x-Passw0rd!", company=company_a, position_id=directory_a["position"]
        )
    body = client_a.get(f"/positions/{directory_a['position']}/users/").json()
    assert [row["email"] for row in body] == ["a@acme.test", "b@acme.test", "c@acme.test"]


def test_position_users_of_an_empty_position_is_an_empty_array(client_a, directory_a):
    assert client_a.get(f"/positions/{directory_a['position']}/users").json() == []


def test_position_users_unknown_foreign_and_malformed(client_a, directory_b):
    assert_error(client_a.get(f"/positions/{directory_b['position']}/users"), 404, "Position not found")
    assert_error(client_a.get(f"/positions/{uuid.uuid4()}/users"), 404, "Position not found")
    assert_error(client_a.get("/positions/nope/users"), 400, "Invalid position id")
    assert_error(client_a.post(f"/positions/{uuid.uuid4()}/users", {}, format="json"), 405)


def test_position_users_query_count(client_a, many_users, directory_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the caller, the position, its users
        response = client_a.get(f"/positions/{directory_a['position']}/users")
    assert len(response.json()) == 550


@pytest.mark.django_db
def test_list_rows_match_the_by_id_representation(client_a, user_a, directory_a):
    """Lists without `expand` are built from plain rows; they must equal the instance representation."""
    User.objects.filter(pk=user_a.pk).update(position_id=directory_a["position"], phone_number="+33 1")
    listed = {row["id"]: row for row in client_a.get("/users").json()["data"]}
    assert listed[str(user_a.pk)] == client_a.get(f"/users/{user_a.pk}").json()
