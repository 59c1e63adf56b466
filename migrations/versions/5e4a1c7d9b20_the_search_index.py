"""the search index: documents, FTS5 on SQLite, a tsvector with GIN on PostgreSQL

Revision ID: 5e4a1c7d9b20
Revises: 545fd462050f
Create Date: 2026-11-30 18:45:00

The FTS5 table, its triggers, the tsvector column and its index are written by hand: the models do
not declare them (assembly/search/models.py says why) and migrations/env.py keeps autogenerate
from dropping them. The index is filled by `assembly reindex` (run by the first `assembly serve`
after this upgrade when the index is empty).
"""
from alembic import op
import sqlalchemy as sa


revision = '5e4a1c7d9b20'
down_revision = '545fd462050f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('happened_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('title_terms', sa.Text(), nullable=False),
    sa.Column('body_terms', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_search_document_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_search_document_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
    sa.UniqueConstraint('kind', 'source_id', name=op.f('uq_search_document_kind_source_id'))
    )
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_document_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_document_organisation_id'), ['organisation_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # Stems come folded and stemmed from Python: 'simple' only splits them. Title A,
        # who-may-read tokens B (filtered by, `'o12':B`, never ranked by), body D.
        op.execute(
            "ALTER TABLE search_document ADD COLUMN terms tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, scope), 'B') || "
            "setweight(to_tsvector('simple'::regconfig, body_terms), 'D')) STORED"
        )
        op.execute("CREATE INDEX ix_search_document_terms ON search_document USING gin (terms)")
    else:
        # Prefix indexes for beginnings of 2-5 letters: without them `co*` merges the lists of
        # every word beginning so across the whole archive before any filter (130 ms for 20,000
        # texts; 2 ms with them, for an FTS index four times the size, still a fraction of the
        # texts themselves).
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(scope, title_terms, body_terms, "
            "content='search_document', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0', prefix='2 3 4 5')"
        )
        op.execute(
            "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
            "INSERT INTO search_fts(rowid, scope, title_terms, body_terms) "
            "VALUES (new.id, new.scope, new.title_terms, new.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, scope, title_terms, body_terms) "
            "VALUES ('delete', old.id, old.scope, old.title_terms, old.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, scope, title_terms, body_terms) "
            "VALUES ('delete', old.id, old.scope, old.title_terms, old.body_terms); "
            "INSERT INTO search_fts(rowid, scope, title_terms, body_terms) "
            "VALUES (new.id, new.scope, new.title_terms, new.body_terms); END"
        )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        for trigger in ('search_document_ai', 'search_document_ad', 'search_document_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_document_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_search_document_meeting_id'))

    op.drop_table('search_document')
