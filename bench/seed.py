"""Seeds the benchmark tenant: one company (via init_identity's service) and N users, then ANALYZE.

Run with the project's settings: `python bench/seed.py 1000` (DATABASE_URL names the benchmark database).
Prints JSON with the admin's email and id for bench/run.sh.
"""

import json
import os
import sys

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402

from users.models import User  # noqa: E402
from users.services.accounts import tenant_bootstrap  # noqa: E402

PASSWORD = "Bench-Passw0rd!"


def main(count: int) -> None:
    result = tenant_bootstrap(company_data={"name": "Benchmark"},
                              user_data={"email": "admin@bench.test", "password": PASSWORD, "first_name": "Admin"})
    hashed = make_password(PASSWORD)
    User.objects.bulk_create(
        User(email=f"user{index:05d}@bench.test", password=hashed, company=result.company, first_name="User",
             last_name=f"Number {index:05d}", position=result.position if index % 2 else None)
        for index in range(count - 1)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have them in a running system
    print(json.dumps({"email": "admin@bench.test", "user_id": str(result.user.pk)}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
