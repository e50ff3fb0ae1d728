"""`/customers/{customer_id}/logo` and `/subcontractors/{subcontractor_id}/logo` on local storage (docs/behaviour.md
§8)."""

import pytest

from identity.testing.assertions import assert_error
from identity.testing.images import image_bytes, image_upload, upload
from identity.testing.matrix import ContractMatrix, Row
from partners.models import Customer, Subcontractor

pytestmark = pytest.mark.django_db


class TestPartnerLogoEndpoints(ContractMatrix):
    rows = [
        # Multipart bodies are not sent by the matrix: a body-less POST reaches the "no file" check.
        Row("POST", "/customers/{customer}/logo", "customer_logo", "UPDATE", foreign=True, status=400),
        Row("GET", "/customers/{customer}/logo", "customer_logo", "READ", foreign=True, status=404),
        Row("DELETE", "/customers/{customer}/logo", "customer_logo", "DELETE", foreign=True, status=404),
        Row("POST", "/subcontractors/{subcontractor}/logo", "subcontractor_logo", "UPDATE", foreign=True, status=400),
        Row("GET", "/subcontractors/{subcontractor}/logo", "subcontractor_logo", "READ", foreign=True, status=404),
        Row("DELETE", "/subcontractors/{subcontractor}/logo", "subcontractor_logo", "DELETE", foreign=True, status=404),
    ]


ENTITIES = [
    ("customers", "customer", Customer, "Customer"),
    ("subcontractors", "subcontractor", Subcontractor, "Subcontractor"),
]


def stored_files(media_root, kind, pk) -> list[str]:
    folder = media_root / f"{kind}_logos" / str(pk)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("prefix, kind, model, entity", ENTITIES)
def test_upload_read_replace_delete(client_a, directory_a, media_root, prefix, kind, model, entity):
    pk = directory_a[kind]
    url = f"/{prefix}/{pk}/logo"
    assert_error(client_a.get(url), 404, f"{entity} has no logo")
    content = image_bytes("JPEG")
    response = client_a.post(url, {"logo": upload(content, "logo.png", "image/png")}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["message"], body["has_logo"]) == ("Logo uploaded successfully", True)
    row = model.objects.get(pk=pk)
    assert (row.logo_file_id, row.has_logo) == (body["logo_file_id"], True)
    assert client_a.get(f"/{prefix}/{pk}").json()["has_logo"] is True

    read = client_a.get(url)
    assert (read.status_code, read.content, read["Content-Type"]) == (200, content, "image/jpeg")
    assert read["Cache-Control"] == "private, max-age=3600"
    assert client_a.get(url, HTTP_IF_NONE_MATCH=read["ETag"]).status_code == 304

    new_id = client_a.post(url, {"logo": image_upload("BMP")}, format="multipart").json()["logo_file_id"]
    assert stored_files(media_root, kind, pk) == [f"{new_id}.bmp"]

    assert client_a.delete(url).status_code == 204
    row.refresh_from_db()
    assert (row.logo_file_id, row.has_logo) == (None, False)
    assert stored_files(media_root, kind, pk) == []
    assert_error(client_a.delete(url), 404, f"{entity} has no logo")


@pytest.mark.parametrize("prefix, kind, model, entity", ENTITIES)
def test_invalid_files_are_400_and_nothing_is_saved(
    client_a, directory_a, media_root, settings, prefix, kind, model, entity
):
    pk = directory_a[kind]
    url = f"/{prefix}/{pk}/logo"
    settings.MAX_AVATAR_SIZE_MB = 1
    too_big = image_bytes("BMP", size=(640, 640), noise=True)
    for file in (
        upload(b"%PDF-1.7 not an image", "logo.webp", "image/webp"),
        upload(b"", "logo.png"),
        upload(too_big, "logo.bmp", "image/bmp"),
    ):
        assert_error(client_a.post(url, {"logo": file}, format="multipart"), 400, "Validation error", fields=("logo",))
    assert_error(client_a.post(url, {}, format="multipart"), 400, "No logo file provided")
    assert not model.objects.get(pk=pk).has_logo
    assert stored_files(media_root, kind, pk) == []


@pytest.mark.parametrize("prefix, kind, model, entity", ENTITIES)
def test_another_company_is_404(client_a, directory_b, prefix, kind, model, entity):
    for method in ("post", "get", "delete"):
        assert_error(getattr(client_a, method)(f"/{prefix}/{directory_b[kind]}/logo"), 404, f"{entity} not found")
    assert_error(client_a.get(f"/{prefix}/123/logo"), 400, f"Invalid {kind} id")


@pytest.mark.parametrize("prefix, kind, model, entity", ENTITIES)
def test_deleting_the_entity_removes_its_logo_file(client_a, directory_a, media_root, prefix, kind, model, entity):
    pk = directory_a[kind]
    response = client_a.post(f"/{prefix}/{pk}/logo", {"logo": image_upload("PNG")}, format="multipart")
    assert response.status_code == 201 and stored_files(media_root, kind, pk)
    assert client_a.delete(f"/{prefix}/{pk}").status_code == 204
    assert not model.objects.filter(pk=pk).exists()
    assert stored_files(media_root, kind, pk) == []
