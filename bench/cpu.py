"""CPU and wall time, SQL queries and bytes of one request per scenario, measured inside one process (no server,
no wrk).

On a shared machine req/s move with the neighbours; the CPU time one request costs in this process moves far less,
so this is what tells whether a change pays. Needs the database `bench/run.sh` (or `make bench`) seeded and its
manifest: `bench/cpu.py MANIFEST [repetitions]`, with the same environment as the server (`DATABASE_URL` …).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def scenarios(manifest: dict) -> list[tuple[str, str, str, bytes]]:
    """(label, method, path with query, body) of every benchmark scenario, addressed through the manifest."""
    users = manifest["users"]
    other = next(user["id"] for user in users if user["id"] != manifest["admin_user_id"])
    root = next(unit["id"] for unit in manifest["organization_units"] if unit["level"] == 0)
    email = next(user["email"] for user in users if user["id"] == manifest["admin_user_id"])
    login = json.dumps({"email": email, "password": manifest["password"]}).encode()
    return [
        ("GET /users/{id}", "GET", f"/users/{other}", b""),
        ("GET /companies/{id}", "GET", f"/companies/{manifest['company_id']}", b""),
        ("GET /organization_units/{id}/children", "GET", f"/organization_units/{root}/children", b""),
        ("GET /users (page of 50)", "GET", "/users", b""),
        ("GET /users?limit=1000", "GET", "/users?limit=1000", b""),
        ("GET /organization_units (page of 50)", "GET", "/organization_units", b""),
        ("GET /positions (page of 50)", "GET", "/positions", b""),
        ("GET /customers (page of 50)", "GET", "/customers", b""),
        # The body alternates between two values (as bench/patch.lua does): every request changes the user.
        ("PATCH /users/{id}", "PATCH", f"/users/{manifest['admin_user_id']}", b'{"first_name": "Bench"}'),
        ("POST /verify_password", "POST", "/verify_password", login),
    ]


def environ_for(method: str, target: str, body: bytes, token: str) -> dict:
    path, _, query = target.partition("?")
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_COOKIE": f"access_token={token}",
        "CONTENT_TYPE": "application/json" if body else "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest")
    parser.add_argument("repetitions", nargs="?", type=int, default=200)
    parser.add_argument("--only", help="run only the scenarios whose label contains this text")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from identity.testing.tokens import make_token
    from users.models import User

    manifest = json.loads(Path(args.manifest).read_text())
    token = make_token(User.objects.get(pk=manifest["admin_user_id"]), minutes=120)
    application = get_wsgi_application()
    queries = []
    print(
        f"{'scenario':40} {'CPU ms':>8} {'wall ms':>8} {'py calls':>9} {'trips':>6} {'queries':>8} "
        f"{'headers B':>10} {'body B':>8} status"
    )
    for label, method, target, body in scenarios(manifest):
        if args.only and args.only not in label:
            continue
        repetitions = max(1, args.repetitions // 20) if "verify_password" in label else args.repetitions
        captured = {}

        # Defaults bind this iteration's values (each closure is used within its own iteration only).
        def start_response(status, headers, exc_info=None, captured=captured):
            captured["status"], captured["headers"] = status, headers

        bodies = [body, body.replace(b"Bench", b"Bench B")] if method == "PATCH" else [body]
        turn = [0]

        def once(method=method, target=target, bodies=bodies, turn=turn, start_response=start_response):
            turn[0] += 1
            chunks = application(environ_for(method, target, bodies[turn[0] % len(bodies)], token), start_response)
            payload = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
            return payload

        for _ in range(5):
            once()
        queries.clear()
        with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
            payload = once()
        # Function calls and database round trips (psycopg waits for the server once per round trip): counts that
        # do not move with the machine's load.
        profile = cProfile.Profile()
        profile.runcall(lambda: [once() for _ in range(10)])
        stats = pstats.Stats(profile)
        calls = stats.total_calls / 10
        trips = (
            sum(
                entry[1]
                for function, entry in stats.stats.items()
                if function[2] == "wait" and function[0].endswith("psycopg/connection.py")
            )
            / 10
        )
        started, wall = time.process_time(), time.perf_counter()
        for _ in range(repetitions):
            once()
        cpu_ms = (time.process_time() - started) * 1000 / repetitions
        wall_ms = (time.perf_counter() - wall) * 1000 / repetitions
        header_bytes = sum(len(name) + len(value) + 4 for name, value in captured["headers"])
        print(
            f"{label:40} {cpu_ms:8.2f} {wall_ms:8.2f} {calls:9.0f} {trips:6.1f} {len(queries):8d} "
            f"{header_bytes:10d} {len(payload):8d} {captured['status']}"
        )


if __name__ == "__main__":
    main()
