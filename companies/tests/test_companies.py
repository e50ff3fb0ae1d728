"""Companies (docs/behaviour.md §6.1 and the company rules of §4)."""

import pytest

from companies.models import Company
from identity.testing.assertions import assert_error
from identity.testing.constants import UNKNOWN_ID

pytestmark = pytest.mark.django_db


def test_list_shows_only_the_callers_company(client_a, company_a, company_b):
    body = client_a.get("/companies").json()
    assert [row["id"] for row in body["data"]] == [str(company_a.pk)]
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 1, "pages": 1, "has_next": False, "has_prev": False}


def test_representation_has_every_key(client_a, company_a):
    body = client_a.get(f"/companies/{company_a.pk}").json()
    assert set(body) == {
        "id",
        "name",
        "description",
        "website",
        "phone_number",
        "email",
        "address",
        "postal_code",
        "city",
        "country",
        "logo_file_id",
        "has_logo",
        "created_at",
        "updated_at",
    }
    assert body["created_at"].endswith("Z")
    assert body["website"] is None


def test_other_company_is_404(client_a, company_b):
    assert_error(client_a.get(f"/companies/{company_b.pk}"), 404, "Company not found")
    assert_error(client_a.patch(f"/companies/{company_b.pk}", {"name": "x"}, format="json"), 404)
    Company.objects.get(pk=company_b.pk, name="Globex")


def test_malformed_id_is_400(client_a):
    assert_error(client_a.get("/companies/not-a-uuid"), 400, "Invalid company id")


def test_trailing_slash_is_accepted(client_a, company_a):
    assert client_a.get("/companies/").status_code == 200
    assert client_a.get(f"/companies/{company_a.pk}/").status_code == 200


def test_create_provisions_a_separate_company(client_a, company_a):
    response = client_a.post(
        "/companies",
        {"name": "Initech", "website": "https://initech.test", "phone_number": "+33 (1) 23-45"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Initech" and body["has_logo"] is False
    created = Company.objects.get(pk=body["id"])
    assert created.pk != company_a.pk
    # the caller still sees only its own company
    assert [row["id"] for row in client_a.get("/companies").json()["data"]] == [str(company_a.pk)]


def test_duplicate_name_is_409_case_insensitively(client_a, company_b):
    body = assert_error(
        client_a.post("/companies", {"name": "GLOBEX"}, format="json"), 409, "Conflict", fields=("name",)
    )
    assert body["errors"]["name"] == ["Name already exists."]


def test_rename_to_own_name_is_fine_but_to_another_is_409(client_a, company_a, company_b):
    assert client_a.patch(f"/companies/{company_a.pk}", {"name": "ACME"}, format="json").status_code == 200
    assert_error(client_a.patch(f"/companies/{company_a.pk}", {"name": "globex"}, format="json"), 409, fields=("name",))


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "website": "not a url"}, "website"),
        ({"name": "ok", "email": "nope"}, "email"),
        ({"name": "ok", "phone_number": "12ab"}, "phone_number"),
        ({"name": "ok", "phone_number": "1" * 21}, "phone_number"),
        ({"name": "ok", "description": "d" * 256}, "description"),
        ({"name": "ok", "postal_code": "p" * 21}, "postal_code"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "id": UNKNOWN_ID}, "id"),
        ({"name": "ok", "has_logo": True}, "has_logo"),
        ({"name": "ok", "logo_file_id": "x"}, "logo_file_id"),
    ],
)
def test_create_validation(client_a, body, field):
    assert_error(client_a.post("/companies", body, format="json"), 400, "Validation error", fields=(field,))


def test_unknown_field_message(client_a):
    body = assert_error(client_a.post("/companies", {"name": "ok", "colour": "red"}, format="json"), 400)
    assert body["errors"]["colour"] == ["Unknown field."]


def test_put_requires_name_and_keeps_omitted_fields(client_a, company_a):
    assert_error(client_a.put(f"/companies/{company_a.pk}", {"city": "Paris"}, format="json"), 400, fields=("name",))
    response = client_a.put(f"/companies/{company_a.pk}", {"name": "Acme SA"}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] == "Acme description"


def test_patch_changes_only_named_fields(client_a, company_a):
    response = client_a.patch(f"/companies/{company_a.pk}", {"city": "Lyon", "website": None}, format="json")
    assert response.status_code == 200
    company_a.refresh_from_db()
    assert (company_a.city, company_a.name, company_a.website) == ("Lyon", "Acme", None)


def test_company_id_in_body_tolerated_only_when_callers(client_a, company_a, company_b):
    ok = client_a.patch(f"/companies/{company_a.pk}", {"company_id": str(company_a.pk), "city": "Nice"}, format="json")
    assert ok.status_code == 200


def test_delete_own_company_is_409_while_caller_exists(client_a, company_a):
    assert_error(client_a.delete(f"/companies/{company_a.pk}"), 409, "Company still has users or organization units")
    assert Company.objects.filter(pk=company_a.pk).exists()


def test_body_not_an_object_is_400(client_a):
    assert_error(client_a.post("/companies", ["name"], format="json"), 400)


def test_malformed_json_is_400(client_a):
    assert_error(client_a.generic("POST", "/companies", b"{not json", content_type="application/json"), 400)


def test_unsupported_content_type_is_415(client_a):
    assert_error(client_a.generic("POST", "/companies", b"name=x", content_type="text/plain"), 415)


def test_wrong_method_is_405(client_a):
    assert_error(client_a.put("/companies", {}, format="json"), 405)


def test_wrong_method_without_token_is_401_first(anon_client):
    assert_error(anon_client.put("/companies", {}, format="json"), 401)
