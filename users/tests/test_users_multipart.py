"""Users over multipart/form-data (contract §6.6): strings, booleans, empty = null, absent is not false."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from identity.testing.assertions import assert_error
from users.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-Passw0rd!"


def test_multipart_create_reads_strings_and_booleans(client_a, directory_a):
    response = client_a.post("/users", {
        "email": "form@acme.test", "password": PASSWORD, "first_name": "Form", "language": "fr",
        "is_verified": "true", "is_active": "false", "position_id": directory_a["position"],
    }, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["first_name"], body["language"], body["is_verified"], body["is_active"]) == ("Form", "fr", True,
                                                                                            False)
    assert body["position_id"] == directory_a["position"]
    assert User.objects.get(pk=body["id"]).check_password(PASSWORD)


def test_multipart_create_absent_booleans_take_their_defaults(client_a):
    body = client_a.post("/users", {"email": "form@acme.test", "password": PASSWORD}, format="multipart").json()
    # DRF would read a missing multipart boolean as false; absent must mean the default.
    assert (body["is_active"], body["is_verified"], body["password_reset_required"]) == (True, False, False)


def test_multipart_put_keeps_absent_booleans(client_a, make_user, company_a):
    user = make_user(company_a, "keep@acme.test", is_verified=True, password_reset_required=True)
    response = client_a.put(f"/users/{user.pk}", {"email": "keep@acme.test", "first_name": "Kept"},
                            format="multipart")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.is_active, user.is_verified, user.password_reset_required, user.first_name) == (True, True, True,
                                                                                                  "Kept")


def test_multipart_patch_changes_only_named_fields(client_a, make_user, company_a):
    user = make_user(company_a, "patch@acme.test", is_verified=True, phone_number="123")
    response = client_a.patch(f"/users/{user.pk}", {"is_active": "false"}, format="multipart")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.is_active, user.is_verified, user.phone_number, user.last_name) == (False, True, "123", "Lovelace")


def test_multipart_empty_string_is_null_for_nullable_fields(client_a, make_user, company_a, directory_a):
    user = make_user(company_a, "null@acme.test", phone_number="123", position_id=directory_a["position"])
    response = client_a.patch(f"/users/{user.pk}", {"phone_number": "", "first_name": "", "position_id": ""},
                              format="multipart")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.phone_number, user.first_name, user.position_id) == (None, None, None)


def test_multipart_empty_string_for_a_required_or_boolean_field_is_400(client_a, user_a):
    assert_error(client_a.patch(f"/users/{user_a.pk}", {"email": ""}, format="multipart"), 400, fields=("email",))
    assert_error(client_a.patch(f"/users/{user_a.pk}", {"is_active": ""}, format="multipart"), 400,
                 fields=("is_active",))
    assert_error(client_a.patch(f"/users/{user_a.pk}", {"is_active": "sometimes"}, format="multipart"), 400,
                 fields=("is_active",))


def test_multipart_validation_and_unknown_fields(client_a):
    assert_error(client_a.post("/users", {"email": "form@acme.test"}, format="multipart"), 400, fields=("password",))
    body = assert_error(client_a.post("/users", {"email": "form@acme.test", "password": PASSWORD, "is_staff": "true"},
                                      format="multipart"), 400)
    assert body["errors"]["is_staff"] == ["Unknown field."]


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_an_avatar_part_is_refused_and_nothing_is_saved(client_a, user_a, method):
    avatar = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, content_type="image/png")
    url = "/users" if method == "post" else f"/users/{user_a.pk}"
    data = {"email": "avatar@acme.test", "password": PASSWORD, "avatar": avatar}
    body = assert_error(getattr(client_a, method)(url, data, format="multipart"), 400, "Validation error",
                        fields=("avatar",))
    assert body["errors"]["avatar"] == ["Avatar upload is not supported yet."]
    assert not User.objects.filter(email="avatar@acme.test").exists()
    user_a.refresh_from_db()
    assert user_a.email == "ada@acme.test" and not user_a.has_avatar


def test_other_content_types_are_415(client_a):
    assert_error(client_a.generic("POST", "/users", b"email=x", content_type="application/x-www-form-urlencoded"),
                 415)
