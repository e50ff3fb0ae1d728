"""Customers and subcontractors (docs/behaviour.md §6.2, §6.3, the collection grammar of §5 and tenancy of §4)."""

import pytest

from identity.testing.assertions import assert_error
from identity.testing.constants import UNKNOWN_ID
from partners.models import Customer, Subcontractor

pytestmark = pytest.mark.django_db

BOTH = pytest.mark.parametrize("plural, model", [("customers", Customer), ("subcontractors", Subcontractor)])
KEYS = {
    "id",
    "name",
    "email",
    "contact_person",
    "phone_number",
    "address",
    "logo_file_id",
    "has_logo",
    "company_id",
    "created_at",
    "updated_at",
}


@BOTH
def test_create_returns_the_full_representation(client_a, company_a, plural, model):
    body = {
        "name": "Initech",
        "email": "ops@initech.test",
        "contact_person": "Peter Gibbons",
        "phone_number": "+1 (555) 010-9999",
        "address": "4120 Freidrich Lane",
    }
    response = client_a.post(f"/{plural}", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    expected_keys = KEYS | ({"description"} if model is Subcontractor else set())
    assert set(data) == expected_keys
    assert {key: data[key] for key in body} == body
    assert data["company_id"] == str(company_a.pk)
    assert data["has_logo"] is False and data["logo_file_id"] is None
    assert data["created_at"].endswith("Z")
    assert model.objects.get(pk=data["id"]).company_id == company_a.pk


@BOTH
def test_omitted_optional_fields_are_null(client_a, plural, model):
    data = client_a.post(f"/{plural}", {"name": "Bare"}, format="json").json()
    assert data["email"] is None and data["contact_person"] is None and data["address"] is None


@pytest.mark.parametrize("plural", ["customers", "subcontractors"])
@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "email": "nope"}, "email"),
        ({"name": "ok", "email": "a" * 95 + "@x.test"}, "email"),
        ({"name": "ok", "contact_person": "c" * 101}, "contact_person"),
        ({"name": "ok", "phone_number": "12ab"}, "phone_number"),
        ({"name": "ok", "phone_number": "1" * 51}, "phone_number"),
        ({"name": "ok", "address": "a" * 256}, "address"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "id": UNKNOWN_ID}, "id"),
        ({"name": "ok", "has_logo": True}, "has_logo"),
        ({"name": "ok", "logo_file_id": "x"}, "logo_file_id"),
        ({"name": "ok", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"name": "ok", "company_id": UNKNOWN_ID}, "company_id"),
    ],
)
def test_create_validation(client_a, plural, body, field):
    assert_error(client_a.post(f"/{plural}", body, format="json"), 400, "Validation error", fields=(field,))


def test_subcontractor_description_is_capped(client_a):
    assert_error(
        client_a.post("/subcontractors", {"name": "ok", "description": "d" * 256}, format="json"),
        400,
        fields=("description",),
    )


def test_customer_has_no_description(client_a):
    body = assert_error(client_a.post("/customers", {"name": "ok", "description": "d"}, format="json"), 400)
    assert body["errors"]["description"] == ["Unknown field."]


@BOTH
def test_limits_are_inclusive(client_a, plural, model):
    body = {
        "name": "n" * 100,
        "email": "a" * 93 + "@x.test",
        "contact_person": "c" * 100,
        "phone_number": "1" * 50,
        "address": "a" * 255,
    }
    assert client_a.post(f"/{plural}", body, format="json").status_code == 201


@BOTH
def test_company_id_of_the_caller_is_tolerated(client_a, company_a, plural, model):
    response = client_a.post(f"/{plural}", {"name": "ok", "company_id": str(company_a.pk)}, format="json")
    assert response.status_code == 201
    assert response.json()["company_id"] == str(company_a.pk)


def test_customer_email_is_unique_per_company_case_insensitively(client_a, client_b, directory_a):
    taken = Customer.objects.get(pk=directory_a["customer"]).email
    body = assert_error(
        client_a.post("/customers", {"name": "Other", "email": taken.upper()}, format="json"),
        409,
        "Conflict",
        fields=("email",),
    )
    assert body["errors"]["email"] == ["Email already exists."]
    # another company may use the same email
    assert client_b.post("/customers", {"name": "Other", "email": taken}, format="json").status_code == 201


def test_customer_names_and_null_emails_may_repeat(client_a):
    for _ in range(2):
        assert client_a.post("/customers", {"name": "Same"}, format="json").status_code == 201


def test_customer_update_to_another_customers_email_is_409(client_a, directory_a):
    other = client_a.post("/customers", {"name": "Other", "email": "other@acme.test"}, format="json").json()
    own = Customer.objects.get(pk=directory_a["customer"]).email
    # its own email (any case) is fine
    assert client_a.patch(f"/customers/{other['id']}", {"email": "OTHER@acme.test"}, format="json").status_code == 200
    assert_error(client_a.patch(f"/customers/{other['id']}", {"email": own}, format="json"), 409, fields=("email",))
    assert_error(
        client_a.put(f"/customers/{other['id']}", {"name": "x", "email": own}, format="json"), 409, fields=("email",)
    )


def test_subcontractor_name_is_unique_per_company_case_insensitively(client_a, client_b, directory_a):
    body = assert_error(
        client_a.post("/subcontractors", {"name": "SUPPLIER"}, format="json"), 409, "Conflict", fields=("name",)
    )
    assert body["errors"]["name"] == ["Name already exists."]
    assert client_b.post("/subcontractors", {"name": "Supplier Two"}, format="json").status_code == 201


def test_subcontractor_own_name_is_fine_on_update(client_a, directory_a):
    url = f"/subcontractors/{directory_a['subcontractor']}"
    assert client_a.put(url, {"name": "supplier"}, format="json").status_code == 200
    assert client_a.patch(url, {"name": "Supplier", "description": "d"}, format="json").status_code == 200
    other = client_a.post("/subcontractors", {"name": "Other"}, format="json").json()
    assert_error(
        client_a.patch(f"/subcontractors/{other['id']}", {"name": "SUPPLIER"}, format="json"), 409, fields=("name",)
    )


@BOTH
def test_put_requires_name_and_keeps_omitted_fields(client_a, plural, model):
    created = client_a.post(
        f"/{plural}", {"name": "Keep", "email": "keep@x.test", "address": "here"}, format="json"
    ).json()
    url = f"/{plural}/{created['id']}"
    assert_error(client_a.put(url, {"address": "there"}, format="json"), 400, fields=("name",))
    response = client_a.put(url, {"name": "Kept"}, format="json")
    assert response.status_code == 200
    assert (response.json()["email"], response.json()["address"]) == ("keep@x.test", "here")
    row = model.objects.get(pk=created["id"])
    assert (row.name, row.email, row.address) == ("Kept", "keep@x.test", "here")


@BOTH
def test_patch_changes_only_named_fields(client_a, plural, model):
    created = client_a.post(
        f"/{plural}", {"name": "Patch", "address": "here", "contact_person": "Jo"}, format="json"
    ).json()
    response = client_a.patch(f"/{plural}/{created['id']}", {"address": None}, format="json")
    assert response.status_code == 200
    row = model.objects.get(pk=created["id"])
    assert (row.name, row.address, row.contact_person) == ("Patch", None, "Jo")


@BOTH
def test_patch_rejects_read_only_fields(client_a, plural, model):
    created = client_a.post(f"/{plural}", {"name": "RO"}, format="json").json()
    assert_error(
        client_a.patch(f"/{plural}/{created['id']}", {"has_logo": True}, format="json"), 400, fields=("has_logo",)
    )


@BOTH
def test_delete_removes_the_row(client_a, plural, model):
    created = client_a.post(f"/{plural}", {"name": "Gone"}, format="json").json()
    response = client_a.delete(f"/{plural}/{created['id']}")
    assert response.status_code == 204 and not response.content
    assert not model.objects.filter(pk=created["id"]).exists()
    assert_error(client_a.get(f"/{plural}/{created['id']}"), 404)


@pytest.mark.parametrize(
    "plural, name, kwarg", [("customers", "Customer", "customer"), ("subcontractors", "Subcontractor", "subcontractor")]
)
def test_foreign_and_missing_ids(client_a, directory_b, plural, name, kwarg):
    assert_error(client_a.get(f"/{plural}/{directory_b[kwarg]}"), 404, f"{name} not found")
    assert_error(client_a.get(f"/{plural}/{UNKNOWN_ID}"), 404, f"{name} not found")
    assert_error(client_a.delete(f"/{plural}/{directory_b[kwarg]}"), 404, f"{name} not found")
    assert_error(client_a.get(f"/{plural}/nope"), 400, f"Invalid {kwarg} id")


@BOTH
def test_list_is_scoped_to_the_callers_company(client_a, directory_a, directory_b, plural, model):
    body = client_a.get(f"/{plural}").json()
    key = plural[:-1]
    assert [row["id"] for row in body["data"]] == [directory_a[key]]
    assert body["pagination"]["total"] == 1


@BOTH
def test_list_filters_search_and_sort(client_a, company_a, plural, model):
    model.objects.create(company=company_a, name="Beta", email="beta@x.test", contact_person="Zed")
    model.objects.create(company=company_a, name="Alpha", email="a@x.test", contact_person="50% Yves_M")
    model.objects.create(company=company_a, name="Gamma", email="g@y.test")

    def names(query):
        response = client_a.get(f"/{plural}{query}")
        assert response.status_code == 200, response.content
        return [row["name"] for row in response.json()["data"]]

    assert names("?sort=name") == ["Alpha", "Beta", "Gamma"]
    assert names("?sort=name&order=DESC") == ["Gamma", "Beta", "Alpha"]
    assert names("?sort=bogus") == ["Beta", "Alpha", "Gamma"]  # created_at
    assert names("?name=Beta") == ["Beta"]
    assert names("?name=beta") == []  # exact, case-sensitive
    assert names("?search=aLPH&sort=name") == ["Alpha"]
    assert names("?search=x.test&sort=name") == ["Alpha", "Beta"]  # email
    assert names("?search=zed") == ["Beta"]  # contact_person
    assert names("?search=%25") == ["Alpha"]  # a literal %
    assert names("?search=s_m") == ["Alpha"]  # a literal _
    assert names("?search=_&sort=name") == ["Alpha"]


@BOTH
def test_list_id_in(client_a, company_a, plural, model):
    one = model.objects.create(company=company_a, name="One")
    model.objects.create(company=company_a, name="Two")
    body = client_a.get(f"/{plural}?id__in={one.pk},").json()
    assert [row["id"] for row in body["data"]] == [str(one.pk)]
    assert_error(client_a.get(f"/{plural}?id__in=nope"), 400, fields=("id__in",))


@BOTH
def test_list_query_count_does_not_grow_with_the_page(
    client_a, company_a, plural, model, django_assert_max_num_queries
):
    model.objects.bulk_create([model(company=company_a, name=f"Partner {i:03}") for i in range(120)])
    with django_assert_max_num_queries(3):  # the caller, the count, the page
        response = client_a.get(f"/{plural}?limit=1000")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 120
