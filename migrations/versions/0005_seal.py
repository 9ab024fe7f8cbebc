"""Seals printed over the issuer line: one per training base (its certificates) and one for
the platform (the yearly statements). PNG, re-encoded on upload.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:58:08.515321

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('seal',
    sa.Column('owner', sa.String(length=20), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=True),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(owner = 'office') = (base_id IS NULL)", name=op.f('ck_seal_owner_matches_base')),
    sa.ForeignKeyConstraint(['base_id'], ['base.id'], name=op.f('fk_seal_base_id_base')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_seal_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('owner', name=op.f('pk_seal')),
    sa.UniqueConstraint('base_id', name=op.f('uq_seal_base_id'))
    )


def downgrade():
    op.drop_table('seal')
