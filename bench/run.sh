#!/usr/bin/env bash
# Load benchmark of the users endpoints: PostgreSQL, gunicorn (config/gunicorn.conf.py) with 4 workers, 1,000 users, Guardian off,
# wrk with 16 connections. Needs wrk (Debian package `wrk`) and the local PostgreSQL; not part of `make test`.
# Usage: bench/run.sh [seconds per endpoint]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
DB=identity_bench
PORT=${BENCH_PORT:-8055}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

export APP_ENV=development DEBUG=false USE_GUARDIAN_SERVICE=false LOG_LEVEL=WARNING RATELIMIT_ENABLED=false
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
dropdb -h 127.0.0.1 -U postgres --if-exists --force "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
.venv/bin/python manage.py migrate -v0
manifest=$(mktemp)
# One company with 1,000 users (its admin included); seed_demo runs ANALYZE on the tables it filled.
.venv/bin/python manage.py seed_demo --users 1000 --company-name Benchmark --manifest "$manifest" >/dev/null
read -r email user_id < <(python3 -c '
import json, sys
manifest = json.load(open(sys.argv[1]))
admin = manifest["admin_user_id"]
print(next(user["email"] for user in manifest["users"] if user["id"] == admin), admin)' "$manifest")
rm -f "$manifest"
token=$(.venv/bin/python manage.py issue_token "$email" --minutes 120)

# The production configuration (sync workers, warm-up, gc.freeze), 4 workers, no access log.
WEB_CONCURRENCY=4 .venv/bin/gunicorn -c config/gunicorn.conf.py -b "127.0.0.1:${PORT}" --access-logfile /dev/null \
    --log-level warning config.wsgi &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:${PORT}/health/live" >/dev/null && break; sleep 0.2; done

run() {
    local label=$1
    shift
    wrk -t2 -c16 -d2s -H "Cookie: access_token=${token}" "$@" >/dev/null  # warm-up, not measured
    printf '%-32s ' "$label"
    wrk -t2 -c16 -d"${DURATION}s" -H "Cookie: access_token=${token}" "$@" | awk '/Requests\/sec/ {print $2 " req/s"} /Non-2xx/ {print "  non-2xx: " $NF}'
}
run "GET /users/{id}" "http://127.0.0.1:${PORT}/users/${user_id}"
run "GET /users (50 per page)" "http://127.0.0.1:${PORT}/users"
run "GET /users?limit=1000" "http://127.0.0.1:${PORT}/users?limit=1000"
run "PATCH /users/{id}" -s bench/patch.lua "http://127.0.0.1:${PORT}/users/${user_id}"
