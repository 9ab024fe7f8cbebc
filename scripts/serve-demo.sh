#!/usr/bin/env bash
# Set up, build the SQLite database with the demo data, and serve at http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=ntbase
.venv/bin/flask db upgrade
.venv/bin/flask ntbase demo
echo "NTBase: http://127.0.0.1:5000  (demo logins in README.md)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
