"""commitments recorded live: the recording screen's client id

Revision ID: 5e1c0a7d2b94
Revises: fec8a5407ee1
Create Date: 2026-11-30 18:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c0a7d2b94'
down_revision = 'fec8a5407ee1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_commitment_made_by_id_client_id'), ['made_by_id', 'client_id'])


def downgrade():
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_commitment_made_by_id_client_id'), type_='unique')
        batch_op.drop_column('client_id')
