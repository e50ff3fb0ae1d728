#!/usr/bin/env bash
# `make bench`: the load benchmark of the scenarios of README "Performance", each as a ratio to the floor app.
#
# Recreates the database $BENCH_DB (default identity_bench) on the local PostgreSQL, seeds one company with 1,000
# users, 100 units, ~300 positions and 100 customers with `manage.py seed_demo --manifest`, VACUUM ANALYZEs it (as
# autovacuum would) and CHECKPOINTs it (the seeding's dirty pages are written before the first scenario), issues a token for the manifest's admin, then starts under the same gunicorn settings
# (config/gunicorn.conf.py, $WEB_CONCURRENCY workers, $GUNICORN_THREADS threads) the service (Guardian off, rate
# limits off, no access log) and the floor app of ../shared/bench (a fixed JSON body; with FLOOR=db one `SELECT 1`
# per request). For every scenario it runs wrk -t2 -c16, alternating floor and service (floor, service, service,
# floor, after a warm-up of each), and prints req/s, p50, p99 of the service, the floor's req/s, service/floor, and
# service/Flask against the upper end of the Flask figures of ../shared/bench/README.md. BASELINE=DIR (another
# checkout of the project, e.g. `git worktree add /tmp/base main`, using this .venv) also starts the service from DIR
# on the same database and measures it in the same alternation (floor, baseline, service, service, baseline,
# floor), under the service's Guardian settings: the columns base/s and ÷base compare the two under the same load.
# ROUNDS=n (default 1) repeats each scenario's alternation n times; every figure printed is then the median over the
# rounds, each ratio taken within its own round (on a noisy machine single rounds of the same pair differ by ±15 %).
# GUARDIAN=on|cached runs the service with Guardian on against bench/guardian_stub.c (built with cc; or
# bench/guardian_stub.py with GUARDIAN_STUB=python: a keep-alive stub answering every check with a grant), without or with a 5-second decision cache (GUARDIAN_CACHE_SECONDS=5; the cache is
# $BENCH_CACHE_URL, local memory when unset). GUARDIAN=compare keeps the service's Guardian off and also starts it
# with Guardian on and on+cache, measured in the same alternation (floor, off, on, cached, cached, on, off, floor):
# the columns on/s, ÷off, cache/s, ÷off are their req/s and their ratios to Guardian off.
# Needs wrk (Debian package `wrk`); never part of `make test`. Run it on an otherwise idle machine: the Flask
# comparison holds only where the floor reaches 5,000 req/s.
# Usage: bench/run.sh [seconds per run]
# (environment: BENCH_DB, BENCH_PORT, FLOOR, FLOOR_DIR, BASELINE, ROUNDS, WEB_CONCURRENCY, GUNICORN_THREADS,
# BENCH_USERS, GUARDIAN, GUARDIAN_STUB (c — bench/guardian_stub.c, the default where `cc` exists — or python),
# GUARDIAN_STUB_PORT (default BENCH_PORT + 5), BENCH_CACHE_URL,
# ONLY: an extended regular expression; only the scenarios whose label matches it run)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-5}
ROUNDS=${ROUNDS:-1}
DB=${BENCH_DB:-identity_bench}
PORT=${BENCH_PORT:-8055}
FLOOR_PORT=$((PORT + 1))
BASE_PORT=$((PORT + 2))
ON_PORT=$((PORT + 3))
CACHED_PORT=$((PORT + 4))
STUB_PORT=${GUARDIAN_STUB_PORT:-$((PORT + 5))}
GUARDIAN=${GUARDIAN:-off}
STUB_KIND=${GUARDIAN_STUB:-$(command -v cc >/dev/null && echo c || echo python)}
case "$STUB_KIND" in c | python) ;; *) echo "GUARDIAN_STUB is c or python" >&2; exit 1 ;; esac
case "$GUARDIAN" in off | on | cached | compare) ;; *) echo "GUARDIAN is off, on, cached or compare" >&2; exit 1 ;; esac
BASELINE=${BASELINE:-}
USERS=${BENCH_USERS:-1000}
FLOOR_DIR=${FLOOR_DIR:-../shared/bench}
# WEB_CONCURRENCY, when set, goes to every gunicorn here; unset, config/gunicorn.conf.py's default applies to all.
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -f "$FLOOR_DIR/floor_app.py" ] || { echo "no floor app at $FLOOR_DIR/floor_app.py (set FLOOR_DIR)" >&2; exit 1; }

export APP_ENV=development DEBUG=false USE_GUARDIAN_SERVICE=false LOG_LEVEL=WARNING RATELIMIT_ENABLED=false
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
dropdb -h 127.0.0.1 -U postgres --if-exists --force "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
.venv/bin/python manage.py migrate -v0
work=$(mktemp -d)
manifest="$work/manifest.json"
.venv/bin/python manage.py seed_demo --users "$USERS" --units $((USERS / 10)) --customers $((USERS / 10)) \
    --company-name Benchmark --manifest "$manifest" >/dev/null
psql -q -h 127.0.0.1 -U postgres "$DB" -c "VACUUM ANALYZE" -c "CHECKPOINT"
# The scenarios' paths and the verify_password body, from the manifest.
python3 - "$manifest" "$work" <<'PY'
import json, sys
manifest, work = json.load(open(sys.argv[1])), sys.argv[2]
admin = manifest["admin_user_id"]
other = next(user["id"] for user in manifest["users"] if user["id"] != admin)
root = next(unit["id"] for unit in manifest["organization_units"] if unit["level"] == 0)
email = next(user["email"] for user in manifest["users"] if user["id"] == admin)
open(f"{work}/ids", "w").write(f"{admin} {other} {root} {manifest['company_id']} {email}\n")
body = json.dumps({"email": email, "password": manifest["password"]}).replace("'", "\\'")
open(f"{work}/verify.lua", "w").write(
    f'wrk.method = "POST"\nwrk.body = \'{body}\'\nwrk.headers["Content-Type"] = "application/json"\n')
PY
read -r admin_id user_id root_id company_id email < "$work/ids"
token=$(.venv/bin/python manage.py issue_token "$email" --minutes 120)

servers=()
cleanup() { for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
# The service with Guardian on (no cache, or a 5-second decision cache), against the keep-alive stub.
guardian_on=(USE_GUARDIAN_SERVICE=true "GUARDIAN_SERVICE_URL=http://127.0.0.1:${STUB_PORT}" GUARDIAN_CACHE_SECONDS=0)
guardian_cached=("${guardian_on[@]}" GUARDIAN_CACHE_SECONDS=5)
[ -z "${BENCH_CACHE_URL:-}" ] || guardian_cached+=("CACHE_URL=${BENCH_CACHE_URL}")
service_env=(USE_GUARDIAN_SERVICE=false)
[ "$GUARDIAN" = on ] && service_env=("${guardian_on[@]}")
[ "$GUARDIAN" = cached ] && service_env=("${guardian_cached[@]}")
ports=("$PORT" "$FLOOR_PORT")
if [ "$GUARDIAN" != off ]; then
    # The C stub unless GUARDIAN_STUB=python or no C compiler: the stub shares the cores with the service.
    if [ "$STUB_KIND" = c ]; then
        cc -O2 -o "$work/guardian_stub" bench/guardian_stub.c
        "$work/guardian_stub" --port "$STUB_PORT" &
    else
        .venv/bin/python bench/guardian_stub.py --port "$STUB_PORT" &
    fi
    servers+=($!)
fi
env "${service_env[@]}" .venv/bin/gunicorn -c config/gunicorn.conf.py -b "127.0.0.1:${PORT}" \
    --log-level warning config.wsgi &
service_master=$!
servers+=($!)
if [ "$GUARDIAN" = compare ]; then
    env "${guardian_on[@]}" .venv/bin/gunicorn -c config/gunicorn.conf.py -b "127.0.0.1:${ON_PORT}" \
        --log-level warning config.wsgi &
    servers+=($!)
    env "${guardian_cached[@]}" .venv/bin/gunicorn -c config/gunicorn.conf.py -b "127.0.0.1:${CACHED_PORT}" \
        --log-level warning config.wsgi &
    servers+=($!)
    ports+=("$ON_PORT" "$CACHED_PORT")
fi
floor_env=()
[ "${FLOOR:-bare}" = db ] && floor_env=(FLOOR_DB_DSN="postgresql://postgres@127.0.0.1:5432/${DB}")
env "${floor_env[@]}" .venv/bin/gunicorn -c config/gunicorn.conf.py --chdir "$FLOOR_DIR" -b "127.0.0.1:${FLOOR_PORT}" \
    --log-level warning floor_app:app &
servers+=($!)
if [ -n "$BASELINE" ]; then
    (cd "$BASELINE" && exec env "${service_env[@]}" "$OLDPWD/.venv/bin/gunicorn" -c config/gunicorn.conf.py \
        -b "127.0.0.1:${BASE_PORT}" --log-level warning config.wsgi) &
    servers+=($!)
    ports+=("$BASE_PORT")
fi
for port in "${ports[@]}"; do
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:${port}/health/live" >/dev/null && break; sleep 0.2; done
done
if [ "$GUARDIAN" != off ]; then
    for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:${STUB_PORT}/stats" >/dev/null && break; sleep 0.1; done
fi

# wrk's req/s, p50 and p99 (ms) and the count of non-2xx answers of one run.
measure() {
    wrk -t2 -c16 -d"$1" --latency -H "Cookie: access_token=${token}" "${@:2}" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 } /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.1f %.1f %d\n", rps, p50, p99, bad }'
}

# scenario label | Flask req/s (upper end of ../shared/bench/README.md) | wrk arguments after the URL's path
scenarios=(
    "GET /users/{id}|800|/users/${user_id}"
    "GET /companies/{id}|490|/companies/${company_id}"
    "GET /organization_units/{id}/children|605|/organization_units/${root_id}/children"
    "GET /users (page of 50)|155|/users"
    "GET /users?limit=1000|35|/users?limit=1000"
    "GET /organization_units (page of 50)|245|/organization_units"
    "GET /positions (page of 50)|455|/positions"
    "GET /customers (page of 50)|375|/customers"
    "PATCH /users/{id}|315|/users/${admin_id} -s bench/patch.lua"
    "POST /verify_password|16|/verify_password -s $work/verify.lua"
)
# The service's worker count as gunicorn started it (its master's children).
workers=$(pgrep -c -P "$service_master" || true)
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r); ${workers} workers, ${GUNICORN_THREADS:-1} thread(s);" \
     "${USERS} users; wrk -t2 -c16 -d${DURATION}s; floor: ${FLOOR:-bare}; Guardian: ${GUARDIAN}" \
     "$([ "$GUARDIAN" = off ] || echo "(${STUB_KIND} stub :${STUB_PORT}, cache ${BENCH_CACHE_URL:-local memory})")"
guardian_header=()
[ "$GUARDIAN" = compare ] && guardian_header=("on/s" "÷off" "cache/s" "÷off")
printf '%-40s %8s %8s %8s %9s %8s %8s %8s %8s %7s' scenario "req/s" "p50 ms" "p99 ms" "floor/s" "÷floor" "÷Flask" \
    "base/s" "÷base" "non-2xx"
[ "$GUARDIAN" != compare ] || printf ' %8s %6s %8s %6s' "${guardian_header[@]}"
printf '\n'
for entry in "${scenarios[@]}"; do
    IFS='|' read -r label flask target <<<"$entry"
    [ -z "${ONLY:-}" ] || grep -Eq -- "${ONLY}" <<<"$label" || continue
    read -r path extra <<<"$target"
    # shellcheck disable=SC2086 # $extra is the optional "-s script" pair
    { measure 1s http://127.0.0.1:${PORT}${path} $extra; measure 1s "http://127.0.0.1:${FLOOR_PORT}/"
      [ -z "$BASELINE" ] || measure 1s http://127.0.0.1:${BASE_PORT}${path} $extra
      [ "$GUARDIAN" != compare ] || { measure 1s http://127.0.0.1:${ON_PORT}${path} $extra
                                     measure 1s http://127.0.0.1:${CACHED_PORT}${path} $extra; }; } >/dev/null
    rounds=$work/rounds
    : >"$rounds"
    for _ in $(seq 1 "$ROUNDS"); do
        # One round: floor, baseline, service, [on, cached, cached, on,] service, baseline, floor.
        read -r f1 _ <<<"$(measure "${DURATION}s" "http://127.0.0.1:${FLOOR_PORT}/")"
        b1=0 b2=0 g1=0 g2=0 c1=0 c2=0 gbad=0
        # shellcheck disable=SC2086 # $extra is the optional "-s script" pair
        [ -n "$BASELINE" ] && read -r b1 _ <<<"$(measure "${DURATION}s" http://127.0.0.1:${BASE_PORT}${path} $extra)"
        # shellcheck disable=SC2086
        read -r s1 p50a p99a bad1 <<<"$(measure "${DURATION}s" http://127.0.0.1:${PORT}${path} $extra)"
        if [ "$GUARDIAN" = compare ]; then
            # shellcheck disable=SC2086
            read -r g1 _ _ gbad1 <<<"$(measure "${DURATION}s" http://127.0.0.1:${ON_PORT}${path} $extra)"
            # shellcheck disable=SC2086
            read -r c1 _ _ cbad1 <<<"$(measure "${DURATION}s" http://127.0.0.1:${CACHED_PORT}${path} $extra)"
            # shellcheck disable=SC2086
            read -r c2 _ _ cbad2 <<<"$(measure "${DURATION}s" http://127.0.0.1:${CACHED_PORT}${path} $extra)"
            # shellcheck disable=SC2086
            read -r g2 _ _ gbad2 <<<"$(measure "${DURATION}s" http://127.0.0.1:${ON_PORT}${path} $extra)"
            gbad=$((gbad1 + gbad2 + cbad1 + cbad2))
        fi
        # shellcheck disable=SC2086
        read -r s2 p50b p99b bad2 <<<"$(measure "${DURATION}s" http://127.0.0.1:${PORT}${path} $extra)"
        # shellcheck disable=SC2086
        [ -n "$BASELINE" ] && read -r b2 _ <<<"$(measure "${DURATION}s" http://127.0.0.1:${BASE_PORT}${path} $extra)"
        read -r f2 _ <<<"$(measure "${DURATION}s" "http://127.0.0.1:${FLOOR_PORT}/")"
        echo "$s1 $s2 $p50a $p50b $p99a $p99b $f1 $f2 $((bad1 + bad2 + gbad)) $b1 $b2 $g1 $g2 $c1 $c2" >>"$rounds"
    done
    python3 - "$label" "$flask" "$rounds" <<'PY'
import statistics
import sys

label, flask, rounds = sys.argv[1], float(sys.argv[2]), [list(map(float, line.split())) for line in open(sys.argv[3])]
median = statistics.median


def per_round(f):
    """The median over the rounds of f(round): each ratio is taken within its own round."""
    return median(f(*r) for r in rounds)


service = per_round(lambda s1, s2, *_: (s1 + s2) / 2)
floor = per_round(lambda s1, s2, p50a, p50b, p99a, p99b, f1, f2, *_: (f1 + f2) / 2)
p50 = max(max(r[2], r[3]) for r in rounds)
p99 = max(max(r[4], r[5]) for r in rounds)
bad = int(sum(r[8] for r in rounds))
to_floor = per_round(lambda s1, s2, p50a, p50b, p99a, p99b, f1, f2, *_: (s1 + s2) / (f1 + f2))
versus_base = f"{'-':>8} {'-':>8}"
if rounds[0][9]:
    base = per_round(lambda *r: (r[9] + r[10]) / 2)
    versus_base = f"{base:8.0f} {per_round(lambda *r: (r[0] + r[1]) / (r[9] + r[10])):8.2f}"
versus_off = ""
if rounds[0][11]:
    on, cached = per_round(lambda *r: (r[11] + r[12]) / 2), per_round(lambda *r: (r[13] + r[14]) / 2)
    on_ratio = per_round(lambda *r: (r[11] + r[12]) / (r[0] + r[1]))
    cached_ratio = per_round(lambda *r: (r[13] + r[14]) / (r[0] + r[1]))
    versus_off = f" {on:8.0f} {on_ratio:6.3f} {cached:8.0f} {cached_ratio:6.3f}"
print(f"{label:40} {service:8.0f} {p50:8.1f} {p99:8.1f} {floor:9.0f} {to_floor:8.3f} "
      f"{service / flask:8.2f} {versus_base} {bad:7d}{versus_off}")
PY
done
if [ "$GUARDIAN" != off ]; then
    echo "# check-access calls the stub granted: $(curl -fs "http://127.0.0.1:${STUB_PORT}/stats")"
fi
