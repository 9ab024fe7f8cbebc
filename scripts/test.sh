#!/usr/bin/env bash
# Set up and run the whole suite: on SQLite (with the browser journeys), then on PostgreSQL.
# With CI=true a missing PostgreSQL or Chromium fails the run instead of being skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
scripts/system-deps.sh || exit 1
# Compiled modules, and pytest's assertion-rewritten test modules, are kept in .venv/pycache
# even when PYTHONDONTWRITEBYTECODE is set: without them each test worker compiled and rewrote
# every test module again, about 5 of the 10 s its collection took (the tree stays clean)
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-$PWD/.venv/pycache}"
unset PYTHONDONTWRITEBYTECODE
# both cores: each worker has its own app, database and browser
PYTEST=(.venv/bin/python -m pytest -q -p no:cacheprovider -n "${TEST_WORKERS:-2}" "$@")
status=0

echo "=== Lint: ruff and the import contracts (docs/architecture.md) ==="
.venv/bin/ruff check ntbase tests bench || status=1
.venv/bin/lint-imports --no-cache > /tmp/ntbase-lint-imports.log 2>&1 \
  && tail -n 3 /tmp/ntbase-lint-imports.log || { cat /tmp/ntbase-lint-imports.log; status=1; }

echo "=== SQLite ==="
NTBASE_TEST_DB=sqlite "${PYTEST[@]}" || status=1

echo "=== Benchmark harness smoke run (size XS, 1 s per point) ==="
if command -v wrk >/dev/null; then
  .venv/bin/python -m bench.run --smoke --name smoke > bench/results/smoke.log 2>&1 \
    && tail -n 25 bench/results/smoke.md \
    || { echo "bench smoke FAILED:"; tail -n 40 bench/results/smoke.log; status=1; }
elif [ "${CI:-}" = "true" ]; then
  echo "wrk is required in CI"; status=1
else
  echo "wrk not installed: skipped"
fi

echo "=== PostgreSQL (${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}) ==="
if [ "${CI:-}" = "true" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  # CI machines start PostgreSQL before the run; try to start it if it has stopped
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
  sleep 2
fi
NTBASE_TEST_DB=postgres "${PYTEST[@]}" -m "not e2e" || status=1
exit $status
