"""minutes imported from files

Revision ID: 619f2f6fd1bc
Revises: 7a3d5f0e2c41
Create Date: 2026-11-30 21:36:19

Historical minutes brought in by `assembly import-minutes`: the file they came from (unique per
organisation, so a second run adds nothing) and the sha256 of its bytes. Their versions are
approved through the new route 'imported' (a non-native enum: no schema change for it).
"""
from alembic import op
import sqlalchemy as sa


revision = '619f2f6fd1bc'
down_revision = '7a3d5f0e2c41'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs and a unique index: a batch copy of `minutes` on SQLite would drop the
    # table, and with it (ON DELETE CASCADE) every version of every minutes.
    op.add_column('minutes', sa.Column('imported_from', sa.String(length=500), nullable=True))
    op.add_column('minutes', sa.Column('imported_sha256', sa.String(length=64), nullable=True))
    op.create_index('ix_minutes_organisation_id_imported_from', 'minutes', ['organisation_id', 'imported_from'], unique=True)


def downgrade():
    op.drop_index('ix_minutes_organisation_id_imported_from', table_name='minutes')
    with op.batch_alter_table('minutes', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('imported_sha256')
        batch_op.drop_column('imported_from')
