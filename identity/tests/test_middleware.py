"""Outside DRF's views too, an unreachable database answers the envelope's 503, not Django's 500 page."""

import json
import os
import subprocess
import sys

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
