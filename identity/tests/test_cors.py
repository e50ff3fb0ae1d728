"""CORS (django-cors-headers): an allowed origin's preflight and requests carry the headers, other origins none."""

import pytest

pytestmark = pytest.mark.django_db

ALLOWED = "https://app.example.test"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def _preflight(client, origin, path="/users"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, if-match",
    )


def test_preflight_of_an_allowed_origin_is_200_without_a_token(cors, anon_client):
    response = _preflight(anon_client, ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "PATCH" in response["Access-Control-Allow-Methods"]
    assert {"content-type", "if-match"} <= {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert response["X-Request-ID"]


def test_request_of_an_allowed_origin_carries_the_headers(cors, client_a):
    response = client_a.get("/users", HTTP_ORIGIN=ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "ETag" in response["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("origin", ["https://evil.example.test", "http://app.example.test", "null"])
def test_other_origins_get_no_cors_headers(cors, client_a, anon_client, origin):
    for response in (_preflight(anon_client, origin), client_a.get("/users", HTTP_ORIGIN=origin)):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_no_origin_is_allowed_by_default(anon_client, client_a, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    for response in (_preflight(anon_client, ALLOWED), client_a.get("/users", HTTP_ORIGIN=ALLOWED)):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_a_disallowed_preflight_does_not_open_the_api(cors, anon_client):
    response = anon_client.get("/users", HTTP_ORIGIN="https://evil.example.test")
    assert response.status_code == 401
