"""The schema stays exact: schemathesis generates requests for every operation against a live gunicorn server and
checks that none answers 500 and that every answer's status, content type and body are the documented ones."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from identity.testing.constants import PATH_OBJECTS
from identity.testing.live import database_url, gunicorn
from identity.testing.tokens import make_token

pytestmark = pytest.mark.postgres

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MAX_EXAMPLES = 25  # per operation and phase: a few thousand requests over the whole schema
RUN_TIMEOUT = 420


def _config(ids: dict) -> str:
    """schemathesis.toml: path ids are the caller's own objects half of the time (the rest generated, mostly
    unknown), so that by-id reads and writes are exercised as well as their 404s."""
    lines = []
    for key in PATH_OBJECTS.values():
        lines += [f"[dictionaries.{key}]", f"values = [{json.dumps(ids[key])}]", ""]
    lines.append("[parameters]")
    for parameter, key in PATH_OBJECTS.items():
        lines.append(f'"path.{parameter}" = {{ dictionary = "{key}", probability = 0.5 }}')
    # Ids seen in responses are not reused: the caller appears in `GET /users`, and deleting or deactivating it
    # would turn every later request into a 401.
    for phase in ("examples", "coverage", "fuzzing"):
        lines += ["", f"[phases.{phase}.extra-data-sources]", "responses = false"]
    return "\n".join(lines) + "\n"


@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_as_the_schema_documents(company_a, user_a, directory_a, make_user, guardian, tmp_path):
    if connection.vendor != "postgresql" or not settings.CACHE_URL.startswith(("redis://", "rediss://")):
        pytest.skip("needs PostgreSQL and Redis (a database and a cache the gunicorn workers share)")
    caller = user_a
    target = make_user(company_a, "target@acme.test")  # the path user: it may be deleted, the caller may not
    ids = {**directory_a, "user": str(target.pk)}
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(ids))
    env = {
        "DATABASE_URL": database_url(),
        "CACHE_URL": settings.CACHE_URL,
        "USE_GUARDIAN_SERVICE": "true",  # the contract fake, granting everything
        "GUARDIAN_SERVICE_URL": guardian.url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "INTERNAL_AUTH_TOKEN": "",
        "PASSWORD_RESET_MIN_RESPONSE_SECONDS": "0",
        # Limits high enough that bodies get validated rather than refused with 429.
        **dict.fromkeys(
            (
                "RATELIMIT_VERIFY_PASSWORD",
                "RATELIMIT_VERIFY_PASSWORD_EMAIL",
                "RATELIMIT_RESET_REQUEST_IP",
                "RATELIMIT_RESET_REQUEST_EMAIL",
                "RATELIMIT_RESET_CONFIRM",
                "RATELIMIT_CHANGE_PASSWORD",
                "RATELIMIT_INIT_DB",
            ),
            "100000/m",
        ),
    }
    # The production configuration (config/gunicorn.conf.py): its unlimited request line lets long generated queries
    # reach the API instead of gunicorn's own HTML 414.
    with gunicorn(env, config=True) as (url, _log):
        assert (
            requests.get(
                f"{url}/users/{caller.pk}", cookies={"access_token": make_token(caller)}, timeout=10
            ).status_code
            == 200
        )
        command = [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(config),
            "run",
            f"{url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20261201",
            "--phases",
            "examples,coverage,fuzzing",
            "--workers",
            "2",
            "--no-color",
            "--header",
            f"Cookie: access_token={make_token(caller, minutes=30)}",
            "--generation-with-security-parameters",
            "false",
            "--request-timeout",
            "20",
            "--generation-database",
            "none",
            "--suppress-health-check",
            "all",
            "--report",
            "junit",
            "--report-junit-path",
            str(tmp_path / "junit.xml"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tmp_path)
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.log").write_text(output)
    assert result.returncode == 0, output[-20000:]
    # The token reached every guarded operation (schemathesis names operations that only ever answered 401).
    assert "401 Unauthorized" not in output, output[-5000:]
