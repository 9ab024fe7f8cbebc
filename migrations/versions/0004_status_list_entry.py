"""Status list entries: each certificate's bit in a Bitstring Status List (Open Badges 3.0
revocation). Rows appear when a certificate is first downloaded as an Open Badge; nothing
to backfill.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:53:18.727222

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_list_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('list_index', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('list_id >= 1', name=op.f('ck_status_list_entry_list_positive')),
    sa.CheckConstraint('list_index >= 0 AND list_index < 131072', name=op.f('ck_status_list_entry_index_in_list')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_status_list_entry_certificate_id_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_list_entry')),
    sa.UniqueConstraint('certificate_id', name=op.f('uq_status_list_entry_certificate_id')),
    sa.UniqueConstraint('list_id', 'list_index', name=op.f('uq_status_list_entry_list_id_list_index'))
    )


def downgrade():
    op.drop_table('status_list_entry')
