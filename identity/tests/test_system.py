"""System endpoints (docs/behaviour.md §10): health probes, version, config, OpenAPI and docs."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from identity.testing.assertions import assert_error
from identity.version import VERSION
from identity.views import mask_url

pytestmark = pytest.mark.django_db


def test_health_shape(anon_client):
    response = anon_client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "service", "timestamp", "version", "environment", "checks"}
    assert body["status"] == "healthy" and body["service"] == "identity_service"
    assert body["version"] == VERSION and body["timestamp"].endswith("Z")
    database = body["checks"]["database"]
    assert database["healthy"] is True and database["message"] == "Database connection successful"
    assert isinstance(database["response_time_ms"], float)


def _without_database(tmp_path, code: str, **env) -> list:
    """Runs `code` (which prints one JSON line) in a fresh process whose SQLite file lies in a missing folder."""
    environment = {
        **os.environ,
        "APP_ENV": "testing",
        "USE_GUARDIAN_SERVICE": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup()\n" + code],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    status, body, ready_status = _without_database(
        tmp_path,
        (
            "from django.test import Client\n"
            "r = Client().get('/health'); r2 = Client().get('/health/ready')\n"
            "print(json.dumps([r.status_code, r.json(), r2.status_code]))"
        ),
    )
    assert status == 503 and ready_status == 503
    assert body["status"] == "unhealthy" and body["checks"]["database"]["healthy"] is False


def test_live_and_ready(anon_client):
    assert anon_client.get("/health/live").status_code == 200
    ready = anon_client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["cache"]["healthy"] is True


def test_version(client_a):
    assert client_a.get("/version").json() == {"version": VERSION}


def test_config_has_no_secret(client_a, settings):
    settings.DATABASE_URL = "postgres://app:s3cr3t-pw@db.internal:5432/identity"
    settings.CACHE_URL = "redis://:redis-pw@cache:6379/0"
    settings.MAIL_PASSWORD = "mail-pw"
    response = client_a.get("/config")
    assert response.status_code == 200
    text = response.content.decode()
    for secret in ("s3cr3t-pw", "redis-pw", "mail-pw", settings.JWT_SECRET, settings.SECRET_KEY):
        assert secret not in text
    body = response.json()
    assert body["DATABASE_URL"] == "postgres://app:***@db.internal:5432/identity"
    assert body["JWT_SECRET_SET"] is True
    assert "MAIL_PASSWORD" not in body and "JWT_SECRET" not in body


@pytest.mark.parametrize(
    "url, masked",
    [
        ("postgres://u:p@h:5432/d", "postgres://u:***@h:5432/d"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("", ""),
        ("redis://:pw@h/1", "redis://:***@h/1"),
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


def test_config_needs_a_token(anon_client):
    assert_error(anon_client.get("/config"), 401)


def test_openapi_schema_generates_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--fail-on-warn", "--validate", "--file", os.devnull],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "APP_ENV": "testing"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_openapi_json_declares_the_cookie_scheme(anon_client):
    response = anon_client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["cookieAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "access_token",
    }
    assert "/companies/{company_id}" in schema["paths"]


def test_openapi_yaml(anon_client):
    response = anon_client.get("/openapi.yaml")
    assert response.status_code == 200 and b"openapi:" in response.content


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_ui_uses_local_assets(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_docs_set_no_cookie_and_load_nothing_from_elsewhere(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 200
    assert not response.cookies
    assert "fonts.googleapis" not in response.content.decode()


@pytest.mark.parametrize("path", ["/docs/", "/redoc/", "/openapi.json/", "/health/", "/health/live/"])
def test_system_paths_accept_a_trailing_slash(anon_client, path):
    assert anon_client.get(path).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/ready"])
def test_health_wrong_method_is_a_json_405(anon_client, path, method):
    assert_error(getattr(anon_client, method)(path), 405)


def test_health_answers_head(anon_client):
    assert anon_client.head("/health").status_code == 200


def test_health_probes_are_in_the_schema(anon_client):
    paths = anon_client.get("/openapi.json").json()["paths"]
    assert {"/health", "/health/live", "/health/ready"} <= set(paths)


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_path_is_json_also_in_debug(anon_client, settings, debug):
    settings.DEBUG = debug
    assert_error(anon_client.get("/nonexistent"), 404, "Resource not found")
    assert_error(anon_client.get("/customers//"), 404, "Resource not found")


def test_database_unavailable_is_503(tmp_path):
    """Data endpoints of a process whose database cannot be opened answer 503, not 500."""
    status, body = _without_database(
        tmp_path,
        (
            "from django.test import Client\n"
            "from identity.testing.tokens import make_token\n"
            "token = make_token(None, sub='5b0c6c49-5c80-4d9c-a7b1-6d0d7a5d1f11',"
            " company_id='5b0c6c49-5c80-4d9c-a7b1-6d0d7a5d1f12')\n"
            "r = Client().get('/companies', HTTP_AUTHORIZATION='Bearer ' + token)\n"
            "print(json.dumps([r.status_code, r.json()]))"
        ),
    )
    assert (status, body) == (503, {"message": "Database unavailable"})


def test_schema_declares_the_error_envelope_and_uuid_path_ids(anon_client):
    schema = anon_client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["message"]
    operation = schema["paths"]["/companies/{company_id}"]["patch"]
    for code in ("400", "401", "403", "404", "409", "503"):
        assert operation["responses"][code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    (parameter,) = [p for p in operation["parameters"] if p["in"] == "path"]
    assert parameter["schema"] == {"type": "string", "format": "uuid"}
    unit = schema["components"]["schemas"]["OrganizationUnit"]
    assert {"parent", "children", "positions"} <= set(unit["properties"])
    assert not {"parent", "children", "positions"} & set(unit.get("required", []))


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_docs_ignore_a_stale_token_cookie(anon_client, path):
    anon_client.cookies["access_token"] = "stale.or.garbage"
    assert anon_client.get(path).status_code == 200
