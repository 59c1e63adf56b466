"""live notes per agenda item: the secretary's notes, who saved them last and when, a revision

Revision ID: 8b3d5f1a2c47
Revises: 5e4a1c7d9b20
Create Date: 2026-11-30 21:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8b3d5f1a2c47'
down_revision = '5e4a1c7d9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(
            sa.Column('notes_revision', sa.Integer(), nullable=False, server_default=sa.text('0'))
        )
        batch_op.add_column(sa.Column('notes_saved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notes_saved_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_agenda_item_notes_saved_by_id_user_account'),
            'user_account',
            ['notes_saved_by_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_agenda_item_notes_saved_by_id_user_account'), type_='foreignkey'
        )
        batch_op.drop_column('notes_saved_at')
        batch_op.drop_column('notes_saved_by_id')
        batch_op.drop_column('notes_revision')
        batch_op.drop_column('notes')
