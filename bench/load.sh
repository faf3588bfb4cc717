#!/usr/bin/env bash
# Throughput under gunicorn with production settings: wrk on loopback, bounded in time.
#
#   bench/load.sh DATABASE_URL [SECONDS]
#
# Serves the app (DEBUG off, plain HTTP on 127.0.0.1) as `make serve` does (threaded workers,
# diplomacy/gunicorn.conf.py) with WEB_CONCURRENCY gunicorn workers (default 4), then runs wrk (Debian package `wrk`, installed with apt-get when missing and
# running as root) for SECONDS (default 20) per URL, 2 threads and 16 connections, against a
# minimal Django view (the framework's ceiling, `/bench/ceiling/`) and the app's pages. With
# CACHE_URL (a Redis URL) the workers share one cache, as several app servers would. With
# WRITER=1 a writer changes one commitment's detail every second while wrk runs (through the
# ORM, as an editor's save would), so every page is computed afresh after each write: the p99
# and the errors are what readers feel while editors work; afterwards every commitment written
# is checked to hold the last value written to it. With SLOW=1 one more client downloads every
# commitment as CSV at SLOW_RATE bytes a second (default 2 MB/s) with a small receive buffer, for
# as long as that takes, and the download is checked to have arrived whole.
# Every request stays on this machine; the server stops when the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL=${1:?usage: bench/load.sh DATABASE_URL [SECONDS]}
SECONDS_PER_URL=${2:-20}
PORT=${LOAD_PORT:-8767}
WORKERS=${WEB_CONCURRENCY:-4}
PAIR=${PAIR:-country=it&country=jp}
TOPIC=${TOPIC:-critical-minerals}

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else
        echo "wrk is missing: apt-get install wrk" >&2; exit 1; fi
fi

export DATABASE_URL DEBUG=0 HTTPS=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
export SECRET_KEY=${SECRET_KEY:-benchmark-only-secret-key-not-for-production}
export DJANGO_SETTINGS_MODULE=bench.settings
.venv/bin/python manage.py collectstatic --no-input --verbosity 0

BIND="127.0.0.1:$PORT" WEB_CONCURRENCY=$WORKERS GUNICORN_ACCESS_LOG=/dev/null \
    .venv/bin/gunicorn bench.wsgi --config diplomacy/gunicorn.conf.py --log-level warning &
SERVER=$!
WRITER_PID=
SLOW_PID=
WRITES=$(mktemp)
trap 'kill "$SERVER" $WRITER_PID $SLOW_PID 2>/dev/null; wait "$SERVER" 2>/dev/null || true; rm -f "$WRITES" "$WRITES.stop"' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/bench/ceiling/" >/dev/null 2>&1 && break
    sleep 0.3
done

if [ "${WRITER:-0}" = 1 ]; then
    # Bounded: stops by itself after the whole run's length, and with the script.
    .venv/bin/python manage.py shell -c "
import os
import time
from agreements.models import Commitment
rows = list(Commitment.objects.order_by('-id').values_list('pk', flat=True)[:50])
deadline = time.monotonic() + $((SECONDS_PER_URL * 8 + 60))
n = 0
while time.monotonic() < deadline and not os.path.exists('$WRITES.stop'):
    commitment = Commitment.objects.get(pk=rows[n % len(rows)])
    commitment.detail = f'Benchmark write {n}'
    commitment.save(update_fields=['detail', 'updated_at'])
    with open('$WRITES', 'a') as log:
        print(commitment.pk, commitment.detail, sep='\t', file=log)
    n += 1
    time.sleep(1)
" &
    WRITER_PID=$!
fi

if [ "${SLOW:-0}" = 1 ]; then
    ROWS=$(.venv/bin/python manage.py shell -c "from agreements.models import Commitment; print(Commitment.objects.count())" | tail -n 1)
    .venv/bin/python bench/slow_reader.py "http://127.0.0.1:$PORT/commitments/?format=csv" "${SLOW_RATE:-2000000}" "$ROWS" &
    SLOW_PID=$!
fi

echo "gunicorn: $WORKERS workers of ${GUNICORN_THREADS:-2} threads; slow reader: $([ "${SLOW:-0}" = 1 ] && echo "one, every commitment as CSV" || echo none); wrk: 2 threads, 16 connections, ${SECONDS_PER_URL}s per URL; cache: $([ -n "${CACHE_URL:-}" ] && echo "shared (CACHE_URL)" || echo "each worker's memory"); writer: $([ "${WRITER:-0}" = 1 ] && echo "one write a second" || echo none)"
for path in "/bench/ceiling/" "/" "/meetings/" "/meetings/?$PAIR" "/meetings/?q=critical+minerals" \
    "/commitments/?topic=$TOPIC" "/relations/it-jp/"; do
    url="http://127.0.0.1:$PORT$path"
    # Warm the page (and its cached aggregates) before measuring.
    curl -fsS "$url" >/dev/null
    echo
    echo "== $path"
    timeout $((SECONDS_PER_URL + 30)) wrk -t2 -c16 -d"${SECONDS_PER_URL}s" --timeout 10s --latency "$url"
done

if [ -n "$SLOW_PID" ]; then
    echo
    wait "$SLOW_PID" || echo "slow reader: FAILED"
    SLOW_PID=
fi
if [ -n "$WRITER_PID" ]; then
    touch "$WRITES.stop"  # the writer ends after its current write
    wait "$WRITER_PID" 2>/dev/null || true
    WRITER_PID=
    # The record against what was written: each commitment holds the last value written to it.
    .venv/bin/python manage.py shell -c "
from agreements.models import Commitment
last = {}
for line in open('$WRITES'):
    pk, detail = line.rstrip('\n').split('\t')
    last[int(pk)] = detail
held = dict(Commitment.objects.filter(pk__in=last).values_list('pk', 'detail'))
wrong = [pk for pk, detail in last.items() if held.get(pk) != detail]
writes = sum(1 for _ in open('$WRITES'))
print(f'record checked: {writes} writes to {len(last)} commitments; ' + (f'{len(wrong)} do not hold the last value written: {wrong[:10]}' if wrong else 'each holds the last value written'))
"
fi
