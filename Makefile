.PHONY: run test setup migrate lint i18n bench-smoke

run:            ## set up, load demo data and serve on SQLite at http://127.0.0.1:5000
	scripts/serve-demo.sh

test:           ## set up and run the whole suite (SQLite + PostgreSQL + browser)
	scripts/test.sh

setup:
	scripts/setup.sh

migrate:        ## apply migrations to DATABASE_URL (default: instance/ntbase.sqlite3)
	FLASK_APP=ntbase .venv/bin/flask db upgrade

i18n:           ## list untranslated strings
	.venv/bin/python -m ntbase.i18n_check

lint:           ## ruff, and the import contracts of docs/architecture.md
	.venv/bin/ruff check ntbase tests bench
	.venv/bin/lint-imports
