"""polls counted by a show of hands

Revision ID: 7d2e4b1c9a05
Revises: 3c1f0a9e7b21
Create Date: 2026-11-30 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2e4b1c9a05'
down_revision = '3c1f0a9e7b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('show_of_hands', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('show_of_hands')
