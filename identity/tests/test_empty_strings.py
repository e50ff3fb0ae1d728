"""`""` on a nullable field is stored as null, in JSON and multipart, for every resource; required fields still
refuse a blank value; multipart text must be valid UTF-8; ids in bodies are text."""

import pytest

from identity.testing.assertions import assert_error

pytestmark = pytest.mark.django_db

# (collection, a valid create body, its nullable fields, a required field)
RESOURCES = [
    (
        "/companies",
        {"name": "Blank Ltd"},
        ["description", "website", "phone_number", "email", "address", "postal_code", "city", "country"],
        "name",
    ),
    ("/customers", {"name": "Blank client"}, ["email", "contact_person", "phone_number", "address"], "name"),
    (
        "/subcontractors",
        {"name": "Blank supplier"},
        ["description", "contact_person", "phone_number", "email", "address"],
        "name",
    ),
    ("/organization_units", {"name": "Blank unit"}, ["description", "parent_id"], "name"),
    ("/positions", {"title": "Blank position", "organization_unit_id": "{unit}"}, ["description", "level"], "title"),
    (
        "/users",
        {"email": "blank@acme.test", "password": "Str0ng-Passw0rd!"},
        ["first_name", "last_name", "phone_number", "position_id"],
        "email",
    ),
]
IDS = [resource[0].strip("/") for resource in RESOURCES]


def _body(template: dict, ids: dict) -> dict:
    return {key: value.format(**ids) if isinstance(value, str) else value for key, value in template.items()}


@pytest.mark.parametrize("path, body, nullable, required", RESOURCES, ids=IDS)
def test_create_stores_empty_strings_as_null(client_a, directory_a, path, body, nullable, required):
    response = client_a.post(path, {**_body(body, directory_a), **dict.fromkeys(nullable, "")}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert {name: created[name] for name in nullable} == dict.fromkeys(nullable)


@pytest.mark.parametrize("path, body, nullable, required", RESOURCES, ids=IDS)
def test_patch_clears_a_field_with_an_empty_string(client_a, directory_a, path, body, nullable, required):
    values = {
        "description": "Some text",
        "phone_number": "+33 1 23",
        "email": "x@acme.test",
        "contact_person": "Contact",
        "first_name": "First",
        "last_name": "Last",
        "website": "https://a.test",
        "address": "1 Road",
        "postal_code": "75001",
        "city": "Paris",
        "country": "France",
        "level": 3,
    }
    filled = {name: values[name] for name in nullable if name in values}
    if path == "/companies":  # a created company is another tenant's: clear the caller's own
        url = f"/companies/{directory_a['company']}"
        assert client_a.patch(url, filled, format="json").status_code == 200
    else:
        created = client_a.post(path, {**_body(body, directory_a), **filled}, format="json")
        assert created.status_code == 201, created.content
        url = f"{path}/{created.json()['id']}"
    response = client_a.patch(url, dict.fromkeys(filled, ""), format="json")
    assert response.status_code == 200, response.content
    assert {name: client_a.get(url).json()[name] for name in filled} == dict.fromkeys(filled)


@pytest.mark.parametrize("path, body, nullable, required", RESOURCES, ids=IDS)
def test_required_field_still_refuses_a_blank_value(client_a, directory_a, path, body, nullable, required):
    response = client_a.post(path, {**_body(body, directory_a), required: ""}, format="json")
    assert_error(response, 400, "Validation error", fields=(required,))


def test_web_profile_form_saves_without_a_phone(client_a, user_a):
    response = client_a.patch(f"/users/{user_a.pk}", {"first_name": "Alpha", "phone_number": ""}, format="json")
    assert response.status_code == 200, response.content
    user_a.refresh_from_db()
    assert user_a.phone_number is None


def test_web_customer_form_saves_without_an_email(client_a):
    response = client_a.post("/customers", {"name": "Walk-in", "email": ""}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["email"] is None


def test_two_customers_without_email_do_not_conflict(client_a):
    for name in ("First", "Second"):
        assert client_a.post("/customers", {"name": name, "email": ""}, format="json").status_code == 201


def test_multipart_empty_strings_are_null(client_a, user_a):
    response = client_a.patch(
        f"/users/{user_a.pk}", {"first_name": "", "phone_number": "", "position_id": ""}, format="multipart"
    )
    assert response.status_code == 200, response.content
    user_a.refresh_from_db()
    assert (user_a.first_name, user_a.phone_number, user_a.position_id) == (None, None, None)


def test_multipart_required_field_refuses_a_blank_value(client_a):
    response = client_a.post("/users", {"email": "", "password": "Str0ng-Passw0rd!"}, format="multipart")
    assert_error(response, 400, "Validation error", fields=("email",))


def _multipart(boundary: str, parts: list[tuple[bytes, bytes]]) -> bytes:
    body = b""
    for name, value in parts:
        body += (
            f"--{boundary}\r\n".encode()
            + b'Content-Disposition: form-data; name="'
            + name
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    "parts",
    [
        [(b"first_name", b"caf\xe9")],  # Latin-1, not UTF-8
        [(b"last_name", b"\xff\xfe")],
    ],
    ids=["latin-1 value", "invalid bytes"],
)
def test_multipart_text_that_is_not_utf8_is_400(client_a, user_a, parts):
    response = client_a.generic(
        "PATCH",
        f"/users/{user_a.pk}",
        _multipart("xYzBoundary", parts),
        content_type="multipart/form-data; boundary=xYzBoundary",
    )
    assert_error(response, 400, "Multipart text must be valid UTF-8.")
    user_a.refresh_from_db()
    assert (user_a.first_name, user_a.last_name) == ("Alpha", "Tester")


def test_multipart_text_in_utf8_is_stored_as_sent(client_a, user_a):
    parts = [(b"first_name", "Zoë ✓ \ufffd".encode())]
    response = client_a.generic(
        "PATCH",
        f"/users/{user_a.pk}",
        _multipart("xYzBoundary", parts),
        content_type="multipart/form-data; boundary=xYzBoundary",
    )
    assert response.status_code == 200, response.content
    user_a.refresh_from_db()
    assert user_a.first_name == "Zoë ✓ \ufffd"


def test_multipart_nul_in_text_is_400(client_a, user_a):
    response = client_a.generic(
        "PATCH",
        f"/users/{user_a.pk}",
        _multipart("b0", [(b"first_name", b"a\x00b")]),
        content_type="multipart/form-data; boundary=b0",
    )
    assert_error(response, 400)


@pytest.mark.parametrize("value", [False, True, 0, 7, 1.5, ["x"], {"id": "x"}])
def test_create_position_with_a_non_text_unit_id_is_400(client_a, value):
    response = client_a.post("/positions", {"title": "Odd", "organization_unit_id": value}, format="json")
    assert_error(response, 400, "Validation error", fields=("organization_unit_id",))


def test_create_position_with_an_unknown_unit_is_still_404(client_a):
    response = client_a.post(
        "/positions", {"title": "Odd", "organization_unit_id": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    assert_error(response, 404, "Organization unit not found")


@pytest.mark.parametrize("value", [False, 0])
def test_user_position_id_that_is_not_text_is_400(client_a, user_a, value):
    response = client_a.patch(f"/users/{user_a.pk}", {"position_id": value}, format="json")
    assert_error(response, 400, "Validation error", fields=("position_id",))
