"""`/companies/{company_id}/logo` on local storage (docs/behaviour.md §8): upload, read, replace, delete."""

import pytest

from companies.models import Company
from identity.testing.assertions import assert_error
from identity.testing.images import CONTENT_TYPES, FORMATS, image_bytes, image_upload, upload
from identity.testing.matrix import ContractMatrix, Row

pytestmark = pytest.mark.django_db


class TestCompanyLogoEndpoints(ContractMatrix):
    rows = [
        # Multipart bodies are not sent by the matrix: a body-less POST reaches the "no file" check.
        Row("POST", "/companies/{company}/logo", "company_logo", "UPDATE", foreign=True, status=400),
        Row("GET", "/companies/{company}/logo", "company_logo", "READ", foreign=True, status=404),
        Row("DELETE", "/companies/{company}/logo", "company_logo", "DELETE", foreign=True, status=404),
    ]


def stored_files(media_root, company) -> list[str]:
    folder = media_root / "company_logos" / str(company.pk)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def url(company) -> str:
    return f"/companies/{company.pk}/logo"


@pytest.mark.parametrize("fmt", FORMATS)
def test_upload_read_replace_delete(client_a, company_a, media_root, fmt):
    content = image_bytes(fmt)
    response = client_a.post(url(company_a), {"logo": upload(content, "logo.txt", "text/plain")}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"] == "Logo uploaded successfully" and body["has_logo"] is True
    company_a.refresh_from_db()
    assert (company_a.logo_file_id, company_a.has_logo) == (body["logo_file_id"], True)
    assert client_a.get(f"/companies/{company_a.pk}").json()["logo_file_id"] == body["logo_file_id"]

    read = client_a.get(url(company_a))
    assert (read.status_code, read.content, read["Content-Type"]) == (200, content, CONTENT_TYPES[fmt])
    assert read["Cache-Control"] == "private, max-age=3600"
    assert client_a.get(url(company_a), HTTP_IF_NONE_MATCH=read["ETag"]).status_code == 304

    replaced = client_a.post(url(company_a), {"logo": image_upload("PNG", color=(1, 2, 3))}, format="multipart")
    new_id = replaced.json()["logo_file_id"]
    assert stored_files(media_root, company_a) == [f"{new_id}.png"]

    assert client_a.delete(url(company_a)).status_code == 204
    company_a.refresh_from_db()
    assert (company_a.logo_file_id, company_a.has_logo) == (None, False)
    assert stored_files(media_root, company_a) == []
    assert_error(client_a.get(url(company_a)), 404, "Company has no logo")
    assert_error(client_a.delete(url(company_a)), 404, "Company has no logo")


def test_invalid_files_are_400_and_nothing_is_saved(client_a, company_a, media_root):
    for content in (b"GIF89a but not really", b""):
        assert_error(
            client_a.post(url(company_a), {"logo": upload(content, "logo.gif")}, format="multipart"),
            400,
            "Validation error",
            fields=("logo",),
        )
    assert_error(client_a.post(url(company_a), {}, format="multipart"), 400, "No logo file provided")
    company_a.refresh_from_db()
    assert not company_a.has_logo
    assert stored_files(media_root, company_a) == []


def test_another_company_is_404(client_a, company_b):
    for method in ("post", "get", "delete"):
        assert_error(getattr(client_a, method)(url(company_b)), 404, "Company not found")
    assert_error(client_a.get("/companies/nope/logo"), 400, "Invalid company id")


def test_any_member_reads_and_changes_the_logo(client_a, company_a, make_user, token_client):
    colleague = token_client(make_user(company_a, "colleague@acme.test"))
    assert client_a.post(url(company_a), {"logo": image_upload("PNG")}, format="multipart").status_code == 201
    assert colleague.get(url(company_a)).status_code == 200
    assert colleague.delete(url(company_a)).status_code == 204
    assert not Company.objects.get(pk=company_a.pk).has_logo
