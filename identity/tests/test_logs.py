"""Logs: one line per request with its ids, JSON or text lines, one line for a bad Host, no secret anywhere."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from identity.logging import JsonFormatter, RequestContextFilter
from identity.testing.assertions import assert_error
from identity.tests.test_startup import SETTINGS_VARIABLES

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-9"  # the root conftest's password of every fixture user


@pytest.fixture
def log_lines():
    """Every log line of the test as the console handler writes it (`lines("json")` or `lines("text")`)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)

    def lines() -> list[str]:
        return [line for line in stream.getvalue().splitlines() if line]

    def use(fmt: str):
        if fmt == "json":
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter(django_settings.LOGGING["formatters"]["text"]["format"]))
        return lines

    yield use
    root.removeHandler(handler)
    root.setLevel(old_level)


def _access(lines: list[str]) -> list[dict]:
    return [record for record in map(json.loads, lines) if record["logger"] == "identity.access"]


def test_one_json_line_per_request_with_its_ids(client_a, user_a, log_lines):
    lines = log_lines("json")
    response = client_a.get(f"/users/{user_a.pk}", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 200
    [record] = _access(lines())
    assert record["request_id"] == "req-42" == response["X-Request-ID"]
    assert record["method"] == "GET" and record["path"] == f"/users/{user_a.pk}" and record["status"] == 200
    assert record["user_id"] == str(user_a.pk) and record["company_id"] == str(user_a.company_id)
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] > 0
    assert record["level"] == "INFO" and record["timestamp"]


def test_an_anonymous_error_is_one_line_too(anon_client, log_lines):
    lines = log_lines("json")
    assert_error(anon_client.get("/users"), 401)
    [record] = _access(lines())
    assert record["status"] == 401 and record["user_id"] == "-" and record["company_id"] == "-"


def test_text_lines_carry_the_same(client_a, user_a, log_lines):
    lines = log_lines("text")
    client_a.get("/users", HTTP_X_REQUEST_ID="req-7")
    [line] = [line for line in lines() if " identity.access " in line]
    assert "request_id=req-7" in line and f"user_id={user_a.pk}" in line and f"company_id={user_a.company_id}" in line
    assert "GET /users 200 " in line and line.endswith("ms")


def test_a_bad_host_is_one_line_not_a_traceback(anon_client, settings, log_lines):
    settings.ALLOWED_HOSTS = ["api.example.test"]
    lines = log_lines("json")
    assert_error(anon_client.get("/health", HTTP_HOST="evil.example.test"), 400, "Bad request")
    records = [json.loads(line) for line in lines()]
    assert len(records) == 1, records
    assert records[0]["status"] == 400 and records[0]["error"] == "Invalid Host header"
    assert records[0]["host"] == "evil.example.test" and "exc_info" not in records[0]


def test_no_secret_in_any_line(client_a, anon_client, user_a, settings, log_lines):
    settings.INTERNAL_AUTH_TOKEN = "internal-token-value"
    lines = log_lines("json")
    client_a.get("/users")
    anon_client.post(
        "/verify_password",
        {"email": user_a.email, "password": PASSWORD},
        format="json",
        HTTP_X_INTERNAL_TOKEN="internal-token-value",
    )
    anon_client.post(
        "/verify_password",
        {"email": user_a.email, "password": "Wrong-horse-secret-9"},
        format="json",
        HTTP_X_INTERNAL_TOKEN="internal-token-value",
    )
    anon_client.get("/users", HTTP_AUTHORIZATION="Bearer not.a-valid.token-secret")
    text = "\n".join(lines())
    assert len(_access(lines())) == 4
    for secret in (
        client_a.raw_token,
        PASSWORD,
        "Wrong-horse-secret-9",
        "internal-token-value",
        "not.a-valid.token-secret",
        settings.JWT_SECRET,
        settings.SECRET_KEY,
    ):
        assert secret not in text


def _log_format(**variables) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "s" * 50,
            "JWT_SECRET": "j" * 50,
            "INTERNAL_AUTH_TOKEN": "t",
            "USE_GUARDIAN_SERVICE": "false",
            "RATELIMIT_ENABLED": "false",
            **variables,
        }
    )
    code = (
        "import environ\n"
        "environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)\n"
        "from django.conf import settings\n"
        "print(settings.LOG_FORMAT, settings.LOGGING['handlers']['console']['formatter'])\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "app_env, variables, expected",
    [
        ("production", {}, "json"),
        ("staging", {}, "json"),
        ("testing", {}, "json"),
        ("development", {}, "text"),
        ("production", {"LOG_FORMAT": "text"}, "text"),
        ("development", {"LOG_FORMAT": "JSON"}, "json"),
    ],
)
def test_log_format_defaults_to_json_outside_development(app_env, variables, expected):
    result = _log_format(APP_ENV=app_env, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, expected]


def test_an_unknown_log_format_stops_startup():
    result = _log_format(APP_ENV="production", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: LOG_FORMAT must be json or text, not 'xml', when APP_ENV=production"
    ]
