#!/bin/sh
# Container entrypoint: optionally wait for the database and migrate, then run the command (gunicorn by default).
set -eu

truthy() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        1 | true | yes | on) return 0 ;;
        *) return 1 ;;
    esac
}

if truthy "${WAIT_FOR_DB:-false}"; then
    echo "Waiting for the database (up to ${WAIT_FOR_DB_TIMEOUT:-60} s)..."
    python manage.py shell --no-imports -c '
import os
import sys
import time

from django.db import connection

deadline = time.monotonic() + float(os.environ.get("WAIT_FOR_DB_TIMEOUT") or 60)
while True:
    try:
        connection.ensure_connection()
    except Exception as exc:  # any connection failure: retry until the deadline
        if time.monotonic() >= deadline:
            sys.stderr.write(f"Database unreachable: {type(exc).__name__}: {exc}\n")
            os._exit(1)  # the connection pool may still hold retrying threads
        time.sleep(1)
    else:
        break
print("Database is reachable.")
'
fi

if truthy "${RUN_MIGRATIONS:-false}"; then
    # A migration may rewrite a large table: no statement timeout for it (it still fails on a refused connection).
    DATABASE_STATEMENT_TIMEOUT=0 python manage.py migrate --noinput
fi

exec "$@"
