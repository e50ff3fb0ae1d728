"""`/users/{user_id}/avatar` on local storage (docs/behaviour.md §8): upload, read, replace, delete, the self-only
rule."""

import pytest

from identity.testing.assertions import assert_error
from identity.testing.images import CONTENT_TYPES, FORMATS, image_bytes, image_upload, upload
from identity.testing.matrix import ContractMatrix, Row
from users.models import User

pytestmark = pytest.mark.django_db


class TestAvatarEndpoints(ContractMatrix):
    rows = [
        # Multipart bodies are not sent by the matrix: a body-less POST reaches the "no file" check.
        Row("POST", "/users/{user}/avatar", "user_avatar", "UPDATE", foreign=True, status=400),
        Row("GET", "/users/{user}/avatar", "user_avatar", "READ", foreign=True, status=404),
        Row("DELETE", "/users/{user}/avatar", "user_avatar", "DELETE", foreign=True, status=404),
    ]


def stored_files(media_root, user) -> list[str]:
    folder = media_root / "avatars" / str(user.pk)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def post_avatar(client, user, file):
    return client.post(f"/users/{user.pk}/avatar", {"avatar": file}, format="multipart")


@pytest.mark.parametrize("fmt", FORMATS)
def test_upload_then_read_each_format(client_a, user_a, media_root, fmt):
    content = image_bytes(fmt)
    response = post_avatar(client_a, user_a, upload(content, "me.bin", "application/octet-stream"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"] == "Avatar uploaded successfully" and body["has_avatar"] is True
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (body["avatar_file_id"], True)
    assert stored_files(media_root, user_a) == [f"{body['avatar_file_id']}.{('jpg' if fmt == 'JPEG' else fmt.lower())}"]

    read = client_a.get(f"/users/{user_a.pk}/avatar")
    assert read.status_code == 200
    assert read.content == content
    assert read["Content-Type"] == CONTENT_TYPES[fmt]  # judged from the bytes, not the declared type
    assert read["Cache-Control"] == "private, max-age=3600"
    assert read["ETag"].startswith('"')


def test_user_representation_shows_the_avatar(client_a, user_a):
    file_id = post_avatar(client_a, user_a, image_upload("PNG")).json()["avatar_file_id"]
    body = client_a.get(f"/users/{user_a.pk}").json()
    assert (body["avatar_file_id"], body["has_avatar"]) == (file_id, True)


def test_etag_and_if_none_match(client_a, user_a):
    post_avatar(client_a, user_a, image_upload("PNG"))
    etag = client_a.get(f"/users/{user_a.pk}/avatar")["ETag"]
    not_modified = client_a.get(f"/users/{user_a.pk}/avatar", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert client_a.get(f"/users/{user_a.pk}/avatar", HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert client_a.get(f"/users/{user_a.pk}/avatar", HTTP_IF_NONE_MATCH='"other"').status_code == 200
    post_avatar(client_a, user_a, image_upload("PNG", color=(0, 0, 255)))
    assert client_a.get(f"/users/{user_a.pk}/avatar", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_any_accept_header_gets_the_bytes(client_a, user_a):
    post_avatar(client_a, user_a, image_upload("GIF"))
    response = client_a.get(f"/users/{user_a.pk}/avatar", HTTP_ACCEPT="image/gif")
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"


def test_a_new_upload_replaces_and_deletes_the_old_file(client_a, user_a, media_root):
    first = post_avatar(client_a, user_a, image_upload("PNG")).json()["avatar_file_id"]
    second_content = image_bytes("JPEG")
    second = post_avatar(client_a, user_a, upload(second_content, "b.jpg", "image/jpeg")).json()["avatar_file_id"]
    assert first != second
    assert stored_files(media_root, user_a) == [f"{second}.jpg"]
    assert client_a.get(f"/users/{user_a.pk}/avatar").content == second_content


def test_delete_removes_the_file_and_clears_the_flag(client_a, user_a, media_root):
    post_avatar(client_a, user_a, image_upload("PNG"))
    response = client_a.delete(f"/users/{user_a.pk}/avatar")
    assert response.status_code == 204
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)
    assert stored_files(media_root, user_a) == []
    assert_error(client_a.delete(f"/users/{user_a.pk}/avatar"), 404, "User has no avatar")
    assert_error(client_a.get(f"/users/{user_a.pk}/avatar"), 404, "User has no avatar")


def test_a_missing_stored_file_reads_as_no_avatar(client_a, user_a, media_root):
    post_avatar(client_a, user_a, image_upload("PNG"))
    for path in (media_root / "avatars" / str(user_a.pk)).iterdir():
        path.unlink()
    assert_error(client_a.get(f"/users/{user_a.pk}/avatar"), 404, "User has no avatar")


@pytest.mark.parametrize(
    "content, name",
    [
        (b"just some text, not an image", "notes.png"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 64, "broken.png"),  # a PNG signature with garbage after it
        (b"", "empty.png"),
    ],
)
def test_invalid_files_are_400_and_nothing_is_saved(client_a, user_a, media_root, content, name):
    body = assert_error(
        post_avatar(client_a, user_a, upload(content, name)), 400, "Validation error", fields=("avatar",)
    )
    assert body["errors"]["avatar"]
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)
    assert stored_files(media_root, user_a) == []


def test_a_file_over_the_size_limit_is_400(client_a, user_a, settings, media_root):
    settings.MAX_AVATAR_SIZE_MB = 1
    big = image_bytes("BMP", size=(640, 640), noise=True)  # a real image of about 1.2 MiB
    assert len(big) > 1024 * 1024
    body = assert_error(post_avatar(client_a, user_a, upload(big, "big.bmp", "image/bmp")), 400, fields=("avatar",))
    assert "1 MB" in body["errors"]["avatar"][0]
    assert stored_files(media_root, user_a) == []
    settings.MAX_AVATAR_SIZE_MB = 2
    assert post_avatar(client_a, user_a, upload(big, "big.bmp", "image/bmp")).status_code == 201


def test_no_file_part_is_400(client_a, user_a):
    assert_error(
        client_a.post(f"/users/{user_a.pk}/avatar", {"other": "x"}, format="multipart"), 400, "No avatar file provided"
    )
    assert_error(
        client_a.post(f"/users/{user_a.pk}/avatar", {"avatar": "not a file"}, format="multipart"),
        400,
        "No avatar file provided",
    )


def test_only_the_user_itself_manages_its_avatar(client_a, user_a, company_a, make_user, token_client, media_root):
    colleague = make_user(company_a, "colleague@acme.test")
    post_avatar(token_client(colleague), colleague, image_upload("PNG"))
    assert_error(
        post_avatar(client_a, colleague, image_upload("PNG")), 403, "Access denied: cannot manage other user's avatar"
    )
    assert_error(
        client_a.delete(f"/users/{colleague.pk}/avatar"), 403, "Access denied: cannot manage other user's avatar"
    )
    # Any user of the company reads it.
    assert client_a.get(f"/users/{colleague.pk}/avatar").status_code == 200
    colleague.refresh_from_db()
    assert colleague.has_avatar and len(stored_files(media_root, colleague)) == 1


def test_the_self_only_rule_comes_after_the_404(client_a, user_b):
    for method in ("post", "get", "delete"):
        assert_error(getattr(client_a, method)(f"/users/{user_b.pk}/avatar"), 404, "User not found")


def test_malformed_user_id_is_400(client_a):
    assert_error(client_a.get("/users/not-a-uuid/avatar"), 400, "Invalid user id")


def test_storage_failure_is_503_and_nothing_is_saved(client_a, user_a, settings, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker)
    assert_error(post_avatar(client_a, user_a, image_upload("PNG")), 503, "Storage service unavailable")
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)


def test_deleting_the_user_removes_its_avatar_file(client_a, company_a, make_user, token_client, media_root):
    other = make_user(company_a, "leaving@acme.test")
    post_avatar(token_client(other), other, image_upload("PNG"))
    assert len(stored_files(media_root, other)) == 1
    assert client_a.delete(f"/users/{other.pk}").status_code == 204
    assert not User.objects.filter(pk=other.pk).exists()
    assert stored_files(media_root, other) == []


def test_trailing_slash_is_accepted(client_a, user_a):
    assert (
        client_a.post(f"/users/{user_a.pk}/avatar/", {"avatar": image_upload("PNG")}, format="multipart").status_code
        == 201
    )


def test_a_json_body_is_415(client_a, user_a):
    assert_error(client_a.post(f"/users/{user_a.pk}/avatar", {"avatar": "x"}, format="json"), 415)


def test_the_self_only_rule_comes_before_body_parsing(client_a, company_a, make_user):
    colleague = make_user(company_a, "colleague@acme.test")
    assert_error(
        client_a.post(f"/users/{colleague.pk}/avatar", {"avatar": "x"}, format="json"),
        403,
        "Access denied: cannot manage other user's avatar",
    )
