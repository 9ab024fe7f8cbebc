"""PostgreSQL-only objects: pg_trgm search index on courses, append-only audit log.

Hand-written (autogenerate skips ``ntbase.db.PG_ONLY_OBJECTS``).

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from ntbase.kernel.audit import PG_APPEND_ONLY, SQLITE_NO_UPDATE

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # keyword search is ILIKE '%词%'; trigrams index Chinese only in a UTF-8 LC_CTYPE database
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_course_search_trgm", "course", ["search_text"], postgresql_using="gin",
                        postgresql_ops={"search_text": "gin_trgm_ops"})
        op.execute(PG_APPEND_ONLY)
    else:
        op.execute(SQLITE_NO_UPDATE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        op.drop_index("ix_course_search_trgm", table_name="course")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
