#!/usr/bin/env bash
# Regenerate the initial migration (0001) from the models, keeping the hand-written 0002.
# Only while nothing is deployed; afterwards every schema change is a new migration.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
mv migrations/versions/0002_*.py "$tmp/"
rm -f migrations/versions/0001_*.py
DATABASE_URL="sqlite:///$tmp/m.sqlite3" NTBASE_INSTANCE_PATH="$tmp" FLASK_APP=ntbase \
  .venv/bin/flask db migrate -m "initial schema" --rev-id 0001
mv "$tmp"/0002_*.py migrations/versions/
rm -rf "$tmp"
