#!/usr/bin/env bash
# The whole benchmark, reproducible: `bench/all.sh [MEETINGS]` (default 100000).
#
# 1. bench/.venv with requirements-bench.txt (Datasette), wrk from Debian if missing;
# 2. a SQLite file bench/data/bench-MEETINGS.sqlite3 and, when BENCH_POSTGRES names a server
#    (postgres://user@host:port, no database), a database diplomacy_bench_MEETINGS there: both
#    migrated, seeded and filled by `generate_synthetic --meetings MEETINGS --seed 1` if new;
# 3. bench/run.py on both (and Datasette on the SQLite file), results in bench/data/;
# 4. with LOAD=1, bench/load.sh against the SQLite file (or PostgreSQL if given).
set -euo pipefail
cd "$(dirname "$0")/.."
MEETINGS=${1:-100000}
mkdir -p bench/data

if [ ! -x bench/.venv/bin/datasette ]; then
    .venv/bin/python -m venv bench/.venv
    bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
fi
if ! command -v wrk >/dev/null && [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; fi

generate() {  # DATABASE_URL
    DEBUG=1 DATABASE_URL=$1 .venv/bin/python manage.py migrate --no-input --verbosity 0
    DEBUG=1 DATABASE_URL=$1 .venv/bin/python manage.py loaddata seed --verbosity 0
    DEBUG=1 DATABASE_URL=$1 .venv/bin/python manage.py generate_synthetic --meetings "$MEETINGS" --seed 1
}

SQLITE=bench/data/bench-$MEETINGS.sqlite3
if [ -f "$SQLITE" ]; then
    DEBUG=1 DATABASE_URL="sqlite:///$PWD/$SQLITE" .venv/bin/python manage.py migrate --no-input --verbosity 0
else
    generate "sqlite:///$PWD/$SQLITE"
fi
ARGS=(--sqlite "$SQLITE" --datasette --json "bench/data/results-$MEETINGS.json")
if [ -n "${BENCH_POSTGRES:-}" ]; then
    PG="${BENCH_POSTGRES%/}/diplomacy_bench_$MEETINGS"
    if psql "${BENCH_POSTGRES%/}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'diplomacy_bench_$MEETINGS'" | grep -q 1; then
        DEBUG=1 DATABASE_URL=$PG .venv/bin/python manage.py migrate --no-input --verbosity 0
    else
        psql "${BENCH_POSTGRES%/}/postgres" -c "CREATE DATABASE diplomacy_bench_$MEETINGS" >/dev/null
        generate "$PG"
    fi
    ARGS+=(--postgres "$PG")
fi
.venv/bin/python bench/run.py "${ARGS[@]}" --repeat "${REPEAT:-30}" | tee "bench/data/results-$MEETINGS.md"
if [ "${LOAD:-0}" = 1 ]; then
    bench/load.sh "${PG:-sqlite:///$PWD/$SQLITE}" "${LOAD_SECONDS:-20}" | tee "bench/data/load-$MEETINGS.txt"
fi
