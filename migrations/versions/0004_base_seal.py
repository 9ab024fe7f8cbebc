"""The base's seal image (PNG, re-encoded), printed over the issuer line of its certificates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:56:19.661648

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('base_seal',
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['base.id'], name=op.f('fk_base_seal_base_id_base')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_base_seal_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('base_id', name=op.f('pk_base_seal'))
    )


def downgrade():
    op.drop_table('base_seal')
