"""The search index: one row per searchable record, kept in step with its source.

Words are folded and stemmed in Python (assembly/core/words.py) both when a record is indexed and
when a query is read, so SQLite and PostgreSQL match the same forms ("actas" and "acta",
"priorizamos" and "prioridad"), which neither engine's own Spanish stemmer does. The row keeps
the original title and body for results and snippets, and the stems for the engine:

- SQLite: `search_fts`, an FTS5 table with *external content* (this table), kept in step by
  triggers. External rather than contentless: SQLite 3.40 cannot delete from a contentless table,
  and the stems are already stored here, so the index holds no second copy of them.
- PostgreSQL: `search_document.terms`, a generated tsvector column with a GIN index. Title and
  body stems are read with `assembly_es` (terms.TS_CONFIG), a Spanish text search configuration
  whose words go through `unaccent` and no second stemmer (the stems are made already); the
  who-may-read tokens with 'simple', exactly as written.

Neither is declared in the models, so `include_object` keeps Alembic's autogenerate (and the
test that compares models and migrations) from seeing them as tables or columns to drop. The
configuration and the `unaccent` extension are objects autogenerate does not compare at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assembly.extensions import db

FTS_TABLE = "search_fts"
# Objects only the migration creates (FTS5 and its shadow tables, the tsvector and its index).
_MIGRATION_ONLY_TABLES = (FTS_TABLE,)
_MIGRATION_ONLY_COLUMNS = {("search_document", "terms")}
_MIGRATION_ONLY_INDEXES = {"ix_search_document_terms"}


class SearchDocument(db.Model):
    __tablename__ = "search_document"
    __table_args__ = (UniqueConstraint("kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    # Set for records that live and die with their meeting (its agenda items, its topics): the
    # database removes them from the index with the meeting.
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    happened_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="")
    # Who may read it, as tokens the engine filters by (see service.scope_tokens), and its kind,
    # status and people as tokens the filters narrow by.
    scope: Mapped[str] = mapped_column(String(200))
    title_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic: leave the search engine's own objects to the migration that made them."""
    if type_ == "table" and name and name.startswith(_MIGRATION_ONLY_TABLES):
        return False
    if type_ == "column" and (obj.table.name, name) in _MIGRATION_ONLY_COLUMNS:
        return False
    return not (type_ == "index" and name in _MIGRATION_ONLY_INDEXES)
