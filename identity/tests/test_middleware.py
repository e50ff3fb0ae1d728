"""Outside DRF's views too, an unreachable database answers the envelope's 503, not Django's 500 page."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


def test_admin_with_the_database_unreachable_is_a_503(tmp_path):
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False)\n"
        "client.cookies['sessionid'] = 'a' * 32\n"
        "response = client.get('/admin/')\n"
        "print(json.dumps([response.status_code, response.json()]))\n"
    )
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "USE_GUARDIAN_SERVICE": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503 and body == {"message": "Database unavailable"}


# --- the admin's middleware stays on the admin's paths ---------------------------------------------------------------
def test_admin_login_keeps_djangos_csrf_check_and_session(db, company_a):
    from django.test import Client

    from identity.testing.admin import PASSWORD, make_staff

    staff = make_staff(company_a, "csrf.staff@acme.test")
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert refused.status_code == 403 and b"CSRF" in refused.content
    page = strict.get("/admin/login/")
    assert "csrftoken" in page.cookies
    token = page.cookies["csrftoken"].value
    logged_in = strict.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert logged_in.status_code == 302 and "sessionid" in logged_in.cookies
    assert strict.get("/admin/").status_code == 200


def test_api_paths_get_no_session_csrf_or_messages(client_a):
    from rest_framework.test import APIClient

    response = client_a.get("/users")
    assert response.status_code == 200
    assert not response.cookies and "Cookie" not in response.get("Vary", "")
    assert not hasattr(response.wsgi_request, "session") and not hasattr(response.wsgi_request, "_messages")
    # A cookie-authenticated unsafe request to an unknown path is the envelope's 404, not a CSRF page.
    strict = APIClient(enforce_csrf_checks=True)
    strict.cookies = client_a.cookies
    unknown = strict.post("/no-such-path", {}, format="json")
    assert unknown.status_code == 404 and unknown.json() == {"message": "Resource not found"}


def test_allow_is_sent_on_a_405_and_an_options_answer_only(client_a, user_a):
    assert "Allow" not in client_a.get(f"/users/{user_a.pk}")
    assert "Allow" not in client_a.get("/users/00000000-0000-0000-0000-000000000000")  # a 404
    not_allowed = client_a.post(f"/users/{user_a.pk}", {}, format="json")
    assert not_allowed.status_code == 405 and "PATCH" in not_allowed["Allow"]
    options = client_a.options("/users")
    assert "GET" in options["Allow"]


@pytest.mark.parametrize("path", ["/users", "/nowhere", "/health/live", "/admin/login/"])
def test_every_complete_response_states_its_length(client_a, path):
    response = client_a.get(path)
    assert int(response["Content-Length"]) == len(response.content) > 0


def test_a_body_refused_before_the_view_states_its_length(client_a, settings):
    settings.MAX_REQUEST_SIZE_MB = 1
    response = client_a.post("/users", data=b"{}", content_type="application/json", CONTENT_LENGTH=str(2 << 20))
    assert response.status_code == 413 and int(response["Content-Length"]) == len(response.content)


def test_the_security_headers_stay(client_a, user_a):
    response = client_a.get(f"/users/{user_a.pk}")
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin" and response["Cross-Origin-Opener-Policy"] == "same-origin"
