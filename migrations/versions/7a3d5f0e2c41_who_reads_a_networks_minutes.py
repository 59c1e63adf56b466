"""who reads a network's approved minutes: its delegates, or every member of its member organisations

Revision ID: 7a3d5f0e2c41
Revises: 8b3d5f1a2c47
Create Date: 2026-11-30 21:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7a3d5f0e2c41'
down_revision = '8b3d5f1a2c47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes_readers', sa.Enum('delegates', 'member_organisations', name='minutesreaders', native_enum=False, length=20), server_default='delegates', nullable=False))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('minutes_readers')
