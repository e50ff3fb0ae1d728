"""Logos with USE_STORAGE_SERVICE=true (docs/behaviour.md §8, docs/integrations.md §3): the company's bucket, against
the fake."""

import pytest

from identity.testing.assertions import assert_error
from identity.testing.images import image_bytes, image_upload, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("storage")]


@pytest.mark.parametrize(
    "kind, logical_path",
    [
        ("company", "logos/{id}.png"),
        ("customer", "customers/{id}/logo.png"),
        ("subcontractor", "subcontractors/{id}/logo.png"),
    ],
)
def test_logo_round_trip_in_the_company_bucket(client_a, directory_a, storage, kind, logical_path):
    prefix = "companies" if kind == "company" else f"{kind}s"
    pk = directory_a[kind]
    url = f"/{prefix}/{pk}/logo"
    content = image_bytes("BMP")
    response = client_a.post(url, {"logo": upload(content, "logo.png", "image/png")}, format="multipart")
    assert response.status_code == 201, response.content
    [stored] = storage.at("companies", directory_a["company"], logical_path.format(id=pk))
    assert (stored.file_id, stored.content_type) == (response.json()["logo_file_id"], "image/bmp")

    read = client_a.get(url)
    assert (read.status_code, read.content, read["Content-Type"]) == (200, content, "image/bmp")

    replaced = client_a.post(url, {"logo": image_upload("PNG")}, format="multipart").json()["logo_file_id"]
    assert [item.file_id for item in storage.at("companies", directory_a["company"], logical_path.format(id=pk))] == [
        replaced
    ]
    assert client_a.delete(url).status_code == 204
    assert storage.objects == {}
    assert_error(client_a.get(url), 404, f"{kind.capitalize()} has no logo")


def test_storage_down_is_503_and_nothing_is_saved(client_a, company_a, storage):
    storage.mode = "fail"
    assert_error(
        client_a.post(f"/companies/{company_a.pk}/logo", {"logo": image_upload("PNG")}, format="multipart"),
        503,
        "Storage service unavailable",
    )
    company_a.refresh_from_db()
    assert (company_a.logo_file_id, company_a.has_logo) == (None, False)


def test_an_upload_storage_refuses_is_403_and_nothing_is_saved(client_a, company_a, storage):
    storage.mode = "refuse"
    assert_error(
        client_a.post(f"/companies/{company_a.pk}/logo", {"logo": image_upload("PNG")}, format="multipart"),
        403,
        "Access denied by the storage service",
    )
    company_a.refresh_from_db()
    assert not company_a.has_logo
