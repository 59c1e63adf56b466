"""search on PostgreSQL in a Spanish text search configuration with unaccent

Revision ID: 9c3e5f7a2b18
Revises: 619f2f6fd1bc
Create Date: 2026-11-30 21:50:00

PostgreSQL only (SQLite keeps FTS5: nothing to do). `assembly_es` is a copy of PostgreSQL's
Spanish configuration whose words go through `unaccent` and then 'simple' (lower case), not
through a Spanish stemmer: the index is fed the stems Python makes (assembly/core/words.py: folded,
singular, Snowball Spanish), the same SQLite indexes, and a second stemming would set the two
databases apart (measured: "tare*" and "semana*" no longer found "tarea" and "semana", whose stems
it cut to "tar" and "sem"; "decidimos" found "decir"; and the stock `spanish_stem`'s stop words
dropped "estado"). Words in plain ASCII skip `unaccent`, which would leave them as they are.

The configuration lives in the schema of the tables (a benchmark's throwaway schema gets its
own); `unaccent` wherever the database has it. The tsvector column is rebuilt with the
configuration for title and body; the who-may-read tokens stay in 'simple'. PostgreSQL fills it
again from the stems already stored: no `assembly reindex` is needed.
"""
from alembic import op
import sqlalchemy as sa


revision = '9c3e5f7a2b18'
down_revision = '619f2f6fd1bc'
branch_labels = None
depends_on = None

_ASCII_WORDS = "asciiword, asciihword, hword_asciipart"
_WORDS = "word, hword, hword_part"  # with letters beyond ASCII


def _terms_column(config: str) -> str:
    return (
        "ALTER TABLE search_document ADD COLUMN terms tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('{config}'::regconfig, title_terms), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, scope), 'B') || "
        f"setweight(to_tsvector('{config}'::regconfig, body_terms), 'D')) STORED"
    )


def _rebuild_terms(config: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_search_document_terms")
    op.execute("ALTER TABLE search_document DROP COLUMN IF EXISTS terms")
    op.execute(_terms_column(config))
    op.execute("CREATE INDEX ix_search_document_terms ON search_document USING gin (terms)")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    unaccent_schema = bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'unaccent'"
    )).scalar_one()
    op.execute("CREATE TEXT SEARCH CONFIGURATION assembly_es (COPY = pg_catalog.spanish)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION assembly_es ALTER MAPPING FOR {_WORDS} "
        f'WITH "{unaccent_schema}".unaccent, pg_catalog.simple'
    )
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION assembly_es ALTER MAPPING FOR {_ASCII_WORDS} "
        "WITH pg_catalog.simple"
    )
    _rebuild_terms("assembly_es")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    _rebuild_terms("simple")
    op.execute("DROP TEXT SEARCH CONFIGURATION assembly_es")
    # `unaccent` stays: an extension is the whole database's, and another schema's search (a
    # benchmark's, another copy of the app) may be using it.
