"""sealed secret ballots: a secret poll's choice waits, encrypted, in its voter's record

Revision ID: 3c1f0a9e7b21
Revises: 60d04b5e68ff
Create Date: 2026-11-30 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f0a9e7b21'
down_revision = '60d04b5e68ff'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch copy would lose the table's WITHOUT ROWID on SQLite.
    op.add_column('vote_record', sa.Column('sealed', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('vote_record', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('sealed')
