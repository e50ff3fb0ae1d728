"""Start-up refusals (docs/behaviour.md §11): outside development/testing a missing secret or URL stops the process."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

# Every variable config/settings.py reads: the parent's values (APP_ENV=testing, a CI DATABASE_URL…) must not leak.
_SETTINGS_SOURCE = (settings.BASE_DIR / "config" / "settings.py").read_text()
SETTINGS_VARIABLES = frozenset(re.findall(r'(?:env\.\w+|_secret)\(\s*"([A-Z][A-Z0-9_]*)"', _SETTINGS_SOURCE)) | {
    "DJANGO_SETTINGS_MODULE"
}

COMPLETE = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 50,
    "JWT_SECRET": "j" * 50,
    "INTERNAL_AUTH_TOKEN": "internal-token",
    "CACHE_URL": "redis://127.0.0.1:6379/5",
    "RATELIMIT_ENABLED": "true",
    "USE_GUARDIAN_SERVICE": "true",
    "GUARDIAN_SERVICE_URL": "http://127.0.0.1:5003",
}

# The settings fill unset variables from the repository's `.env` and `.env.local`; a developer's files would
# change the outcome, so the child process ignores them and sees only the environment given here.
START = (
    "import environ\n"
    "environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)\n"
    "from django.core.management import execute_from_command_line\n"
    "execute_from_command_line(['manage.py', 'check'])\n"
)


def _start(**variables) -> subprocess.CompletedProcess:
    """Runs `manage.py check` with COMPLETE updated by `variables` (None = unset)."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    for name, value in {**COMPLETE, **variables}.items():
        if value is not None:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-c", START], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def _refused_naming(result: subprocess.CompletedProcess, variable: str) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: "), lines
    assert lines[0].split()[2] == variable, lines
    return lines[0]


def test_every_checked_variable_is_cleared_from_the_parent_environment():
    assert set(COMPLETE) | {"FLASK_ENV", "STORAGE_SERVICE_URL", "MAIL_SERVER", "DATABASE_URL"} <= SETTINGS_VARIABLES


@pytest.mark.parametrize(
    "variables, named",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"JWT_SECRET": ""}, "JWT_SECRET"),
        ({"JWT_SECRET": None}, "JWT_SECRET"),
        ({"INTERNAL_AUTH_TOKEN": ""}, "INTERNAL_AUTH_TOKEN"),
        ({"CACHE_URL": ""}, "CACHE_URL"),
        ({"GUARDIAN_SERVICE_URL": ""}, "GUARDIAN_SERVICE_URL"),
        ({"USE_STORAGE_SERVICE": "true"}, "STORAGE_SERVICE_URL"),
        ({"USE_EMAIL_SERVICE": "true"}, "MAIL_SERVER"),
        ({"APP_ENV": "staging", "JWT_SECRET": ""}, "JWT_SECRET"),
    ],
    ids=[
        "secret-key",
        "jwt-empty",
        "jwt-unset",
        "internal-token",
        "cache-url",
        "guardian-url",
        "storage-url",
        "mail-server",
        "staging",
    ],
)
def test_missing_value_stops_startup_with_one_line(variables, named):
    line = _refused_naming(_start(**variables), named)
    assert line.endswith(f"when APP_ENV={variables.get('APP_ENV', 'production')}")


def test_unset_app_env_defaults_to_production_and_says_how_to_run_locally():
    line = _refused_naming(_start(APP_ENV=None, INTERNAL_AUTH_TOKEN=""), "INTERNAL_AUTH_TOKEN")
    assert "is required when APP_ENV=production (" in line
    assert "APP_ENV=development" in line and "make run" in line


def test_flask_env_is_read_when_app_env_is_unset():
    line = _refused_naming(_start(APP_ENV=None, FLASK_ENV="production", JWT_SECRET=""), "JWT_SECRET")
    assert line.endswith("APP_ENV=production")


def test_app_env_wins_over_flask_env():
    _refused_naming(_start(FLASK_ENV="development", INTERNAL_AUTH_TOKEN=""), "INTERNAL_AUTH_TOKEN")


def test_unknown_app_env_is_refused():
    result = _start(APP_ENV="prod")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: APP_ENV must be development, testing, staging or production, not 'prod'"
    ]


def test_complete_configuration_starts():
    result = _start()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_disabled_integrations_need_no_url():
    result = _start(USE_GUARDIAN_SERVICE="false", GUARDIAN_SERVICE_URL="", RATELIMIT_ENABLED="false", CACHE_URL="")
    assert result.returncode == 0, result.stderr


def test_development_from_flask_env_is_lenient():
    # Secrets are given so that nothing is generated into the repository's .env.local.
    result = _start(
        APP_ENV=None, FLASK_ENV="development", INTERNAL_AUTH_TOKEN="", CACHE_URL="", GUARDIAN_SERVICE_URL=""
    )
    assert result.returncode == 0, result.stderr


def _settings_in_checkout(checkout, **variables) -> subprocess.CompletedProcess:
    """Runs config/settings.py as if it lived in `checkout` (whose `.env.local` the test wrote); prints SECRET_KEY."""
    (checkout / "config").mkdir(exist_ok=True)
    (checkout / "config" / "settings.py").write_text(_SETTINGS_SOURCE)
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.update({name: value for name, value in {**COMPLETE, **variables}.items() if value is not None})
    code = (
        "import runpy, sys\n"
        f"namespace = runpy.run_path({str(checkout / 'config' / 'settings.py')!r})\n"
        "print(namespace['SECRET_KEY'])\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=checkout, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("app_env", ["production", "staging"])
def test_production_in_a_checkout_with_development_secrets_refuses_to_start(tmp_path, app_env):
    (tmp_path / ".env.local").write_text("SECRET_KEY=generated-for-development\nJWT_SECRET=generated-too\n")
    result = _settings_in_checkout(tmp_path, APP_ENV=app_env, SECRET_KEY=None, JWT_SECRET=None)
    assert "generated-for-development" not in result.stdout
    _refused_naming(result, "SECRET_KEY")


def test_development_reuses_the_secrets_it_generated(tmp_path):
    (tmp_path / ".env.local").write_text("SECRET_KEY=generated-for-development\nJWT_SECRET=generated-too\n")
    result = _settings_in_checkout(
        tmp_path,
        APP_ENV="development",
        SECRET_KEY=None,
        JWT_SECRET=None,
        INTERNAL_AUTH_TOKEN=None,
        CACHE_URL=None,
        GUARDIAN_SERVICE_URL=None,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "generated-for-development"
    assert (tmp_path / ".env.local").read_text().count("SECRET_KEY=") == 1  # reused, not generated again
