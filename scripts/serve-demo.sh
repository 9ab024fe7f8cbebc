#!/usr/bin/env bash
# Set up, build the SQLite database with the demo data, and serve at http://127.0.0.1:5000
# with the background worker (holds expire on time, mails and SMS go out, PDFs render).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# ffmpeg makes the demo online courses' sample video (and ffprobe reads uploaded lessons)
scripts/system-deps.sh ffmpeg || true
export FLASK_APP=ntbase
PORT=${PORT:-5000}
# links in mails, SMS and rendered certificates point here (the worker has no request to ask)
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}
.venv/bin/flask db upgrade
.venv/bin/flask ntbase demo
.venv/bin/flask ntbase worker > >(sed -u 's/^/[worker] /') 2>&1 &
worker=$!  # the worker itself (its output goes through sed), stopped when the server stops
stop_worker() { kill -INT "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; }
trap stop_worker EXIT INT TERM
echo "NTBase: http://127.0.0.1:$PORT  (demo logins in README.md; the worker's lines start with [worker])"
.venv/bin/flask run --host 127.0.0.1 --port "$PORT"
