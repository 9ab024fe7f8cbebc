"""Architecture (issue #11): one state-history shape, refund and certificate events,
payment descriptions, venue QR secrets derived instead of stored.

Hand-reviewed: renamed columns keep their data (``alter_column(new_column_name=…)``);
new NOT NULL columns get a server default for existing rows; enrollments created before
every enrollment had a check-in token get one.

Revision ID: 0003
Revises: 0002
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _history_table(name: str, owner: str, owner_table: str) -> None:
    op.create_table(
        name,
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f(f"fk_{name}_actor_id_user")),
        sa.ForeignKeyConstraint([owner], [f"{owner_table}.id"], name=op.f(f"fk_{name}_{owner}_{owner_table}")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_{owner}"), [owner], unique=False)


def upgrade():
    _history_table("certificate_event", "certificate_id", "certificate")
    _history_table("refund_event", "refund_id", "refund")

    with op.batch_alter_table("base_status_event") as batch_op:
        batch_op.alter_column("from_status", new_column_name="from_state", existing_type=sa.String(32),
                              existing_nullable=True)
        batch_op.alter_column("to_status", new_column_name="to_state", existing_type=sa.String(32),
                              existing_nullable=False)
    with op.batch_alter_table("complaint_event") as batch_op:
        batch_op.alter_column("note", new_column_name="reason", existing_type=sa.Text(), existing_nullable=False)
    for table in ("enrollment_event", "payment_event"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("reason", existing_type=sa.String(300), type_=sa.Text(), existing_nullable=False)

    with op.batch_alter_table("course_session") as batch_op:
        batch_op.drop_column("checkin_secret")  # now derived from SECRET_KEY (attendance.session_secret)

    with op.batch_alter_table("payment_intent") as batch_op:
        batch_op.add_column(sa.Column("description", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("return_path", sa.String(length=200), nullable=False, server_default="/"))

    bind = op.get_bind()
    missing = bind.execute(sa.text("SELECT id FROM enrollment WHERE checkin_token IS NULL")).scalars().all()
    for enrollment_id in missing:
        bind.execute(sa.text("UPDATE enrollment SET checkin_token = :t WHERE id = :id"),
                     {"t": secrets.token_urlsafe(24), "id": enrollment_id})


def downgrade():
    with op.batch_alter_table("payment_intent") as batch_op:
        batch_op.drop_column("return_path")
        batch_op.drop_column("description")
    with op.batch_alter_table("course_session") as batch_op:
        batch_op.add_column(sa.Column("checkin_secret", sa.String(length=64), nullable=True))
    for table in ("enrollment_event", "payment_event"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("reason", existing_type=sa.Text(), type_=sa.String(300), existing_nullable=False)
    with op.batch_alter_table("complaint_event") as batch_op:
        batch_op.alter_column("reason", new_column_name="note", existing_type=sa.Text(), existing_nullable=False)
    with op.batch_alter_table("base_status_event") as batch_op:
        batch_op.alter_column("from_state", new_column_name="from_status", existing_type=sa.String(32),
                              existing_nullable=True)
        batch_op.alter_column("to_state", new_column_name="to_status", existing_type=sa.String(32),
                              existing_nullable=False)
    op.drop_table("refund_event")
    op.drop_table("certificate_event")
