#!/usr/bin/env bash
# Times `manage.py seed_demo` on PostgreSQL: a fresh database, migrations, then one run of N users (default 100,000;
# units, customers and subcontractors at seed_demo's defaults). Not part of `make test`.
# Usage: bench/seed.sh [users]
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-100000}
DB=identity_bench_seed

export APP_ENV=development DEBUG=false LOG_LEVEL=WARNING
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
dropdb -h 127.0.0.1 -U postgres --if-exists --force "$DB" 2>/dev/null
createdb -h 127.0.0.1 -U postgres "$DB"
.venv/bin/python manage.py migrate -v0
manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
start=$(date +%s%N)
.venv/bin/python manage.py seed_demo --users "$USERS" --manifest "$manifest" 2>/dev/null
end=$(date +%s%N)
python3 - "$manifest" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
print("manifest:", ", ".join(f"{len(manifest[key])} {key}" for key in ("users", "organization_units", "positions")))
PY
elapsed_ms=$(( (end - start) / 1000000 ))
printf 'seed_demo --users %s: %d.%01d s (whole command, start-up included)\n' "$USERS" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
