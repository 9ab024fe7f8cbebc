"""Kept yearly status per learner (issue #14): what lists of many learners read.

After upgrading an existing database, fill it once: ``flask ntbase hours-rebuild-status``
(from then on every ledger, exemption, period or policy change keeps it up to date).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "yearly_status",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("counted_total", sa.Numeric(7, 1), nullable=False),
        sa.Column("counted_public", sa.Numeric(7, 1), nullable=False),
        sa.Column("public_hours", sa.Numeric(7, 1), nullable=False),
        sa.Column("required_total", sa.Numeric(7, 1), nullable=False),
        sa.Column("required_public", sa.Numeric(7, 1), nullable=False),
        sa.Column("complies", sa.Boolean(), nullable=False),
        sa.Column("short_total", sa.Numeric(7, 1), nullable=False),
        sa.Column("short_public", sa.Numeric(7, 1), nullable=False),
        sa.Column("total_exempt", sa.Boolean(), nullable=False),
        sa.Column("policy_year", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("counted_total >= 0 AND counted_public >= 0",
                           name=op.f("ck_yearly_status_counted_nonneg")),
        sa.CheckConstraint("short_total >= 0 AND short_public >= 0", name=op.f("ck_yearly_status_short_nonneg")),
        sa.ForeignKeyConstraint(["learner_id"], ["user.id"], name=op.f("fk_yearly_status_learner_id_user")),
        sa.PrimaryKeyConstraint("learner_id", "year", name=op.f("pk_yearly_status")),
    )
    with op.batch_alter_table("yearly_status") as batch_op:
        batch_op.create_index("ix_yearly_status_year_complies", ["year", "complies"], unique=False)


def downgrade():
    op.drop_table("yearly_status")
