"""Avatars with USE_STORAGE_SERVICE=true (docs/behaviour.md §8, docs/integrations.md §3), against the Storage contract
fake."""

import pytest

from identity import files
from identity.clients import storage as storage_client
from identity.testing.assertions import assert_error
from identity.testing.fakeserver import FakeServer, within_deadline
from identity.testing.images import image_bytes, image_upload, upload
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("storage")]


def place(user) -> tuple[str, str, str]:
    return "users", str(user.pk), f"avatars/{user.pk}.png"


def post_avatar(client, user, file):
    return client.post(f"/users/{user.pk}/avatar", {"avatar": file}, format="multipart")


def test_upload_goes_to_the_users_bucket_with_the_real_type(client_a, user_a, storage, tmp_path):
    content = image_bytes("JPEG")
    response = post_avatar(client_a, user_a, upload(content, "me.png", "image/png"))
    assert response.status_code == 201, response.content
    [stored] = storage.at(*place(user_a))
    assert (stored.content, stored.content_type) == (content, "image/jpeg")
    assert response.json()["avatar_file_id"] == stored.file_id
    assert storage.calls[0].cookie_token == client_a.raw_token
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (stored.file_id, True)
    assert not (tmp_path / "media").exists()


def test_read_returns_the_stored_bytes_and_etag(client_a, user_a):
    content = image_bytes("PNG")
    post_avatar(client_a, user_a, upload(content))
    read = client_a.get(f"/users/{user_a.pk}/avatar")
    assert (read.status_code, read.content, read["Content-Type"]) == (200, content, "image/png")
    assert read["Cache-Control"] == "private, max-age=3600"
    assert client_a.get(f"/users/{user_a.pk}/avatar", HTTP_IF_NONE_MATCH=read["ETag"]).status_code == 304


def test_replace_deletes_the_old_version_and_delete_removes_the_file(client_a, user_a, storage):
    first = post_avatar(client_a, user_a, image_upload("PNG")).json()["avatar_file_id"]
    second = post_avatar(client_a, user_a, image_upload("GIF")).json()["avatar_file_id"]
    assert first != second
    assert [item.file_id for item in storage.at(*place(user_a))] == [second]
    assert client_a.delete(f"/users/{user_a.pk}/avatar").status_code == 204
    assert storage.at(*place(user_a)) == []
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)


@pytest.mark.parametrize("mode", ["fail", "hang", "drop", "invalid_json"])
def test_storage_failures_on_upload_are_503_and_nothing_is_saved(client_a, user_a, storage, settings, mode):
    settings.STORAGE_REQUEST_TIMEOUT = 0.3
    storage.hang_seconds = 1.0
    storage.mode = mode
    assert_error(post_avatar(client_a, user_a, image_upload("PNG")), 503, "Storage service unavailable")
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)


def test_trickling_storage_on_upload_is_503_within_the_timeout_and_nothing_is_saved(
    client_a, user_a, storage, settings
):
    """Each byte of Storage's answer comes within the timeout, the whole answer long after it."""
    settings.STORAGE_REQUEST_TIMEOUT = 0.5
    upload = image_upload("PNG")
    assert client_a.get(f"/users/{user_a.pk}").status_code == 200  # warm: only the trickled call is timed
    storage.trickle(0.2)
    response = within_deadline(lambda: post_avatar(client_a, user_a, upload), 0.5)
    assert_error(response, 503, "Storage service unavailable")
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)


def test_trickling_storage_on_read_is_503_within_the_timeout(client_a, user_a, storage, settings):
    post_avatar(client_a, user_a, image_upload("PNG"))
    settings.STORAGE_REQUEST_TIMEOUT = 0.5
    storage.trickle(0.2)
    response = within_deadline(lambda: client_a.get(f"/users/{user_a.pk}/avatar"), 0.5)
    assert_error(response, 503, "Storage service unavailable")


def test_trickling_storage_on_delete_gives_up_at_the_timeout_and_clears_the_flag(client_a, user_a, storage, settings):
    post_avatar(client_a, user_a, image_upload("PNG"))
    settings.STORAGE_REQUEST_TIMEOUT = 0.5
    storage.trickle(0.2)
    response = within_deadline(lambda: client_a.delete(f"/users/{user_a.pk}/avatar"), 0.5)
    assert response.status_code == 204
    assert [call.method for call in storage.calls][-1] == "DELETE"  # the removal was attempted, then abandoned
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)


def test_storage_failure_on_read_is_503(client_a, user_a, storage):
    post_avatar(client_a, user_a, image_upload("PNG"))
    storage.mode = "fail"
    assert_error(client_a.get(f"/users/{user_a.pk}/avatar"), 503, "Storage service unavailable")


def test_a_file_storage_reports_missing_reads_as_no_avatar(client_a, user_a, storage):
    post_avatar(client_a, user_a, image_upload("PNG"))
    storage.objects.clear()
    assert_error(client_a.get(f"/users/{user_a.pk}/avatar"), 404, "User has no avatar")


def test_a_download_storage_refuses_is_403(client_a, user_a, company_a, make_user, token_client):
    owner = make_user(company_a, "owner@acme.test")
    post_avatar(token_client(owner), owner, image_upload("PNG"))
    # Storage opens the bucket users/<id> to that user only.
    assert_error(client_a.get(f"/users/{owner.pk}/avatar"), 403, "Access denied by the storage service")


def test_delete_when_storage_fails_still_clears_the_flag(client_a, user_a, storage):
    post_avatar(client_a, user_a, image_upload("PNG"))
    storage.mode = "fail"
    assert client_a.delete(f"/users/{user_a.pk}/avatar").status_code == 204
    user_a.refresh_from_db()
    assert (user_a.avatar_file_id, user_a.has_avatar) == (None, False)


def test_multipart_user_update_with_storage_down_is_503_and_nothing_is_saved(client_a, user_a, storage):
    storage.mode = "fail"
    data = {"first_name": "Changed", "avatar": image_upload("PNG")}
    assert_error(client_a.patch(f"/users/{user_a.pk}", data, format="multipart"), 503, "Storage service unavailable")
    user_a.refresh_from_db()
    assert (user_a.first_name, user_a.has_avatar) == ("Alpha", False)


def test_multipart_user_update_stores_in_the_service(client_a, user_a, storage):
    response = client_a.patch(f"/users/{user_a.pk}", {"avatar": image_upload("WEBP")}, format="multipart")
    assert response.status_code == 200, response.content
    [stored] = storage.at(*place(user_a))
    assert (response.json()["avatar_file_id"], stored.content_type) == (stored.file_id, "image/webp")


def test_deleting_a_user_is_not_blocked_by_storage(client_a, company_a, make_user, storage):
    other = make_user(company_a, "leaving@acme.test")
    other.avatar_file_id, other.has_avatar = "unknown-file", True
    other.save()
    storage.mode = "fail"
    assert client_a.delete(f"/users/{other.pk}").status_code == 204
    assert not User.objects.filter(pk=other.pk).exists()


class TopLevelIdStorage(FakeServer):
    """A Storage answering `file_id` at the top level, as docs/integrations.md §3 allows."""

    def handle(self, request):
        return 200, {"file_id": "top-level-id", "object_key": "users/x/avatars/x.png"}, {}


def test_a_top_level_file_id_is_read(settings, user_a):
    server = TopLevelIdStorage()
    try:
        settings.STORAGE_SERVICE_URL = server.url
        image = files.Image(content=image_bytes("PNG"), content_type="image/png", ext="png")
        assert storage_client.upload(files.location_for("avatar", user_a), image, token="t") == "top-level-id"
    finally:
        server.stop()


def test_storage_locations_follow_the_integration_table(user_a, directory_a):
    from companies.models import Company
    from partners.models import Customer, Subcontractor

    company = Company.objects.get(pk=user_a.company_id)
    customer = Customer.objects.get(pk=directory_a["customer"])
    subcontractor = Subcontractor.objects.get(pk=directory_a["subcontractor"])
    cid = str(company.pk)
    assert storage_client.place(files.location_for("avatar", user_a)) == place(user_a)
    assert storage_client.place(files.location_for("company_logo", company)) == ("companies", cid, f"logos/{cid}.png")
    assert storage_client.place(files.location_for("customer_logo", customer)) == (
        "companies",
        cid,
        f"customers/{customer.pk}/logo.png",
    )
    assert storage_client.place(files.location_for("subcontractor_logo", subcontractor)) == (
        "companies",
        cid,
        f"subcontractors/{subcontractor.pk}/logo.png",
    )
