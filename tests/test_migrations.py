"""`flask db upgrade` builds exactly the models' schema, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from ntbase.kernel.db import db, include_object
from tests.conftest import DB_KIND, create_pg_database, drop_pg_database


@pytest.fixture()
def fresh_db_app(make_app, tmp_path):
    if DB_KIND == "postgres":
        url = create_pg_database()
    else:
        url = f"sqlite:///{tmp_path}/migrate.sqlite3"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if DB_KIND == "postgres":
        drop_pg_database(url)


def _diff(app):
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        return compare_metadata(ctx, db.metadata)


def test_upgrade_matches_models_and_downgrades(fresh_db_app):
    with fresh_db_app.app_context():
        upgrade()
    diff = [d for d in _diff(fresh_db_app) if not _ignorable(d)]
    assert diff == []
    with fresh_db_app.app_context():
        downgrade(revision="base")
        upgrade()


def _ignorable(d) -> bool:
    return False


def test_postgres_only_objects(fresh_db_app):
    """0002 adds the trigram search index and the append-only audit trigger on PostgreSQL."""
    import sqlalchemy as sa

    with fresh_db_app.app_context():
        upgrade()
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        names = set(db.session.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE tablename='course'")))
        assert "ix_course_search_trgm" in names
        triggers = set(db.session.scalars(sa.text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass")))
        assert "audit_log_append_only" in triggers
