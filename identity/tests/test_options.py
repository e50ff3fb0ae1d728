"""`OPTIONS` on every route of the OpenAPI schema: 200 with DRF's metadata, the token only (no Guardian call)."""

import uuid

import pytest
from django.test import Client

from identity.testing.assertions import assert_error
from identity.testing.constants import PATH_OBJECTS

pytestmark = pytest.mark.django_db


def _schema_paths() -> list[str]:
    return sorted(Client().get("/openapi.json").json()["paths"])


def _url(path: str, ids: dict) -> str:
    values = {name: ids[key] for name, key in PATH_OBJECTS.items()}
    values["user_role_id"] = values["event_id"] = str(uuid.uuid4())  # OPTIONS reads no path object
    return path.format(**values)


def _is_public(schema_paths: dict, path: str) -> bool:
    return all(operation.get("security") in ([], [{}]) for operation in schema_paths[path].values())


@pytest.mark.parametrize("path", _schema_paths())
def test_options_answers_200_on_every_schema_route(client_a, guardian, directory_a, path):
    response = client_a.options(_url(path, directory_a))
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body.get("name"), str) and "application/json" in body.get("renders", [])
    assert guardian.checks() == []  # OPTIONS needs only the token


@pytest.mark.parametrize("path", ["/companies/{company_id}", "/users", "/positions/{position_id}"])
def test_options_describes_the_writable_fields(client_a, directory_a, path):
    actions = client_a.options(_url(path, directory_a)).json()["actions"]
    assert set(actions) <= {"POST", "PUT"} and actions
    fields = next(iter(actions.values()))
    assert not any(name in fields for name in ("password_hash", "failed_login_count"))


def test_options_on_a_guarded_route_needs_the_token(anon_client, directory_a):
    schema_paths = anon_client.get("/openapi.json").json()["paths"]
    for path in schema_paths:
        if not _is_public(schema_paths, path):
            assert_error(anon_client.options(_url(path, directory_a)), 401)


@pytest.mark.parametrize(
    "path", ["/users/{user_id}/avatar", "/companies/{company_id}/logo", "/users/{user_id}/admin-reset-password"]
)
def test_options_on_another_companys_object_is_still_200(client_a, directory_b, path):
    assert client_a.options(_url(path, directory_b)).status_code == 200
