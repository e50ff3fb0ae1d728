"""The error envelope for every source, request ids and the early body-size limit (docs/behaviour.md §1)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError

from companies.models import Company
from identity.exception_handler import to_response
from identity.testing.assertions import assert_error
from identity.viewsets import CrudViewSet

pytestmark = pytest.mark.django_db


def test_unknown_path_is_404_envelope(client_a, anon_client):
    assert_error(anon_client.get("/nowhere"), 404, "Resource not found")
    assert_error(client_a.get("/companies/x/y/z"), 404, "Resource not found")


def test_request_id_is_echoed_when_well_formed(anon_client):
    response = anon_client.get("/health/live", HTTP_X_REQUEST_ID="abc.DEF-123_x")
    assert response.headers["X-Request-ID"] == "abc.DEF-123_x"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", ""])
def test_request_id_is_generated_when_malformed(anon_client, bad):
    response = anon_client.get("/health/live", HTTP_X_REQUEST_ID=bad)
    generated = response.headers["X-Request-ID"]
    assert generated and generated != bad and len(generated) <= 128


def test_request_id_on_error_responses(anon_client):
    assert anon_client.get("/companies", HTTP_X_REQUEST_ID="req-1").headers["X-Request-ID"] == "req-1"


def test_body_over_limit_is_413_before_authentication(anon_client, settings):
    settings.MAX_REQUEST_SIZE_MB = 1
    body = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    response = anon_client.generic("POST", "/companies", body, content_type="application/json")
    assert_error(response, 413, "Request body too large")


def test_unknown_path_wins_over_413(anon_client, settings):
    settings.MAX_REQUEST_SIZE_MB = 1
    response = anon_client.generic("POST", "/nowhere", b" " * (1024 * 1024 + 10), content_type="application/json")
    assert_error(response, 404, "Resource not found")


def test_integrity_error_on_a_registered_constraint_is_409_with_field(company_a):
    try:
        Company.objects.create(name="ACME")
    except IntegrityError as exc:
        status, body, _ = to_response(exc)
    else:  # pragma: no cover - the constraint must exist
        pytest.fail("case-insensitive unique constraint on company name is missing")
    assert status == 409 and body == {"message": "Conflict", "errors": {"name": ["Name already exists."]}}


def test_unexpected_errors_are_500_without_details():
    status, body, _ = to_response(RuntimeError("secret detail"))
    assert status == 500 and body == {"message": "Internal server error"}


@pytest.mark.parametrize("method", ["get_queryset", "scope_queryset", "get_object", "initial"])
def test_scoped_viewset_cannot_be_unscoped(method):
    with pytest.raises(ImproperlyConfigured):
        type("LeakyViewSet", (CrudViewSet,), {method: lambda self: None})


@pytest.mark.parametrize(
    "body",
    [b'{"name": "a\\u0000b"}', b'{"name": "\\ud800"}', b'{"\\ud800": 1}', b'{"name": "ok", "website": ["\\udfff"]}'],
)
def test_json_that_is_not_storable_text_is_400(client_a, body):
    before = Company.objects.count()
    response = client_a.generic("POST", "/companies", body, content_type="application/json")
    assert_error(response, 400)
    assert Company.objects.count() == before


@pytest.mark.parametrize(
    "path, caller",
    [
        ("/companies", "client_a"),
        ("/init-db", "anon_client"),  # on an empty database: an initialised one answers 403 before reading the body
        ("/verify_password", "client_a"),
        ("/users/password-reset/confirm", "client_a"),
    ],
)
def test_deeply_nested_json_is_400_not_500(request, path, caller):
    response = request.getfixturevalue(caller).generic("POST", path, b"[" * 100_000, content_type="application/json")
    assert_error(response, 400, "JSON parse error - nested too deeply")


def test_too_many_query_parameters_is_400(client_a):
    assert_error(client_a.get("/companies?" + "&".join(f"p{i}=1" for i in range(1001))), 400, "Bad request")


def test_page_far_past_the_end_is_an_empty_page(client_a, company_a):
    body = client_a.get("/companies", {"page": str(2 * 10**17)}).json()
    assert body["data"] == [] and body["pagination"]["page"] == 2 * 10**17 and body["pagination"]["total"] == 1
