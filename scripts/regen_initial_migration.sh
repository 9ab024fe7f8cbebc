#!/usr/bin/env bash
# Regenerate the single initial migration from the models (only while nothing is deployed).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*.py
DATABASE_URL="sqlite:///$tmp/m.sqlite3" NTBASE_INSTANCE_PATH="$tmp" FLASK_APP=ntbase \
  .venv/bin/flask db migrate -m "initial schema" --rev-id 0001
rm -rf "$tmp"
