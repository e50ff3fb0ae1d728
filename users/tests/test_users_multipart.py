"""Users over multipart/form-data (docs/behaviour.md §6.6): strings, booleans, empty = null, absent kept, the `avatar`
part."""

import pytest

from identity.testing.assertions import assert_error
from identity.testing.images import image_bytes, image_upload, upload
from users.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-Passw0rd!"


def test_multipart_create_reads_strings_and_booleans(client_a, directory_a):
    response = client_a.post(
        "/users",
        {
            "email": "form@acme.test",
            "password": PASSWORD,
            "first_name": "Form",
            "language": "fr",
            "is_verified": "true",
            "is_active": "false",
            "position_id": directory_a["position"],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["first_name"], body["language"], body["is_verified"], body["is_active"]) == ("Form", "fr", True, False)
    assert body["position_id"] == directory_a["position"]
    assert User.objects.get(pk=body["id"]).check_password(PASSWORD)


def test_multipart_create_absent_booleans_take_their_defaults(client_a):
    body = client_a.post("/users", {"email": "form@acme.test", "password": PASSWORD}, format="multipart").json()
    # DRF would read a missing multipart boolean as false; absent must mean the default.
    assert (body["is_active"], body["is_verified"], body["password_reset_required"]) == (True, False, False)


def test_multipart_put_keeps_absent_booleans(client_a, make_user, company_a):
    user = make_user(company_a, "keep@acme.test", is_verified=True, password_reset_required=True)
    response = client_a.put(f"/users/{user.pk}", {"email": "keep@acme.test", "first_name": "Kept"}, format="multipart")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.is_active, user.is_verified, user.password_reset_required, user.first_name) == (
        True,
        True,
        True,
        "Kept",
    )


def test_multipart_patch_changes_only_named_fields(client_a, make_user, company_a):
    user = make_user(company_a, "patch@acme.test", is_verified=True, phone_number="123")
    response = client_a.patch(f"/users/{user.pk}", {"is_active": "false"}, format="multipart")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.is_active, user.is_verified, user.phone_number, user.last_name) == (False, True, "123", "Tester")


def test_multipart_empty_string_is_null_for_nullable_fields(client_a, make_user, company_a, directory_a):
    user = make_user(company_a, "null@acme.test", phone_number="123", position_id=directory_a["position"])
    response = client_a.patch(
        f"/users/{user.pk}", {"phone_number": "", "first_name": "", "position_id": ""}, format="multipart"
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.phone_number, user.first_name, user.position_id) == (None, None, None)


def test_multipart_empty_string_for_a_required_or_boolean_field_is_400(client_a, user_a):
    assert_error(client_a.patch(f"/users/{user_a.pk}", {"email": ""}, format="multipart"), 400, fields=("email",))
    assert_error(
        client_a.patch(f"/users/{user_a.pk}", {"is_active": ""}, format="multipart"), 400, fields=("is_active",)
    )
    assert_error(
        client_a.patch(f"/users/{user_a.pk}", {"is_active": "sometimes"}, format="multipart"),
        400,
        fields=("is_active",),
    )


def test_multipart_validation_and_unknown_fields(client_a):
    assert_error(client_a.post("/users", {"email": "form@acme.test"}, format="multipart"), 400, fields=("password",))
    body = assert_error(
        client_a.post(
            "/users", {"email": "form@acme.test", "password": PASSWORD, "is_staff": "true"}, format="multipart"
        ),
        400,
    )
    assert body["errors"]["is_staff"] == ["Unknown field."]


def avatar_files(media_root, user) -> list[str]:
    folder = media_root / "avatars" / str(user.pk)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_an_avatar_part_is_refused_on_create(client_a, media_root):
    data = {"email": "avatar@acme.test", "password": PASSWORD, "avatar": image_upload("PNG")}
    body = assert_error(client_a.post("/users", data, format="multipart"), 400, "Validation error", fields=("avatar",))
    assert body["errors"]["avatar"] == ["An avatar cannot be uploaded when creating a user."]
    assert not User.objects.filter(email="avatar@acme.test").exists()
    assert not media_root.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_the_caller_updates_itself_with_an_avatar(client_a, user_a, media_root, method):
    content = image_bytes("WEBP")
    data = {"email": "alpha@acme.test", "first_name": "Omega", "avatar": upload(content, "me.webp", "image/webp")}
    response = getattr(client_a, method)(f"/users/{user_a.pk}", data, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["has_avatar"] is True and body["first_name"] == "Omega"
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar, user_a.first_name) == (body["avatar_file_id"], True, "Omega")
    assert avatar_files(media_root, user_a) == [f"{body['avatar_file_id']}.webp"]
    read = client_a.get(f"/users/{user_a.pk}/avatar")
    assert (read.content, read["Content-Type"]) == (content, "image/webp")


def test_an_avatar_part_replaces_the_old_file(client_a, user_a, media_root):
    first = client_a.patch(f"/users/{user_a.pk}", {"avatar": image_upload("PNG")}, format="multipart").json()
    second = client_a.patch(f"/users/{user_a.pk}", {"avatar": image_upload("GIF")}, format="multipart").json()
    assert first["avatar_file_id"] != second["avatar_file_id"]
    assert avatar_files(media_root, user_a) == [f"{second['avatar_file_id']}.gif"]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_avatar_part_for_another_user_is_403_and_nothing_is_saved(
    client_a, company_a, make_user, media_root, method
):
    colleague = make_user(company_a, "colleague@acme.test")
    data = {"email": "colleague@acme.test", "first_name": "Changed", "avatar": image_upload("PNG")}
    assert_error(
        getattr(client_a, method)(f"/users/{colleague.pk}", data, format="multipart"),
        403,
        "Access denied: cannot manage other user's avatar",
    )
    colleague.refresh_from_db()
    assert (colleague.first_name, colleague.has_avatar) == ("Alpha", False)
    assert not media_root.exists()


def test_an_avatar_part_for_another_company_user_is_404(client_a, user_b):
    assert_error(
        client_a.patch(f"/users/{user_b.pk}", {"avatar": image_upload("PNG")}, format="multipart"),
        404,
        "User not found",
    )


@pytest.mark.parametrize("content", [b"plain text", b""])
def test_an_invalid_avatar_is_400_with_the_other_errors_and_nothing_is_saved(client_a, user_a, media_root, content):
    data = {"first_name": "Changed", "language": "xx", "avatar": upload(content, "a.png")}
    body = assert_error(
        client_a.patch(f"/users/{user_a.pk}", data, format="multipart"),
        400,
        "Validation error",
        fields=("avatar", "language"),
    )
    assert body["errors"]["avatar"]
    user_a.refresh_from_db()
    assert (user_a.first_name, user_a.has_avatar) == ("Alpha", False)
    assert not media_root.exists()


def test_an_avatar_part_that_is_not_a_file_is_400(client_a, user_a):
    assert_error(client_a.patch(f"/users/{user_a.pk}", {"avatar": "text"}, format="multipart"), 400, fields=("avatar",))


def test_a_refused_update_keeps_no_avatar_file(client_a, user_a, company_a, make_user, media_root):
    make_user(company_a, "taken@acme.test")
    data = {"email": "taken@acme.test", "avatar": image_upload("PNG")}
    assert_error(client_a.patch(f"/users/{user_a.pk}", data, format="multipart"), 409, fields=("email",))
    user_a.refresh_from_db()
    assert (user_a.email, user_a.has_avatar) == ("alpha@acme.test", False)
    assert avatar_files(media_root, user_a) == []


def test_an_avatar_that_cannot_be_stored_is_503_and_nothing_is_saved(client_a, user_a, settings, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker)
    data = {"first_name": "Changed", "avatar": image_upload("PNG")}
    assert_error(client_a.patch(f"/users/{user_a.pk}", data, format="multipart"), 503, "Storage service unavailable")
    user_a.refresh_from_db()
    assert (user_a.first_name, user_a.has_avatar) == ("Alpha", False)


def test_other_content_types_are_415(client_a):
    assert_error(client_a.generic("POST", "/users", b"email=x", content_type="application/x-www-form-urlencoded"), 415)
