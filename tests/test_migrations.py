"""The migrations build exactly the schema the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from assembly import create_app
from assembly.commands import upgrade_database
from assembly.extensions import db
from assembly.search.models import include_object


def _drift(connection) -> list:
    # As migrations/env.py compares them: the search engine's own objects are the migration's.
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    return compare_metadata(context, db.metadata)


def test_the_upgraded_test_database_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        assert _drift(connection) == []


def test_upgrade_from_empty_sqlite_matches_models_and_downgrades_cleanly(tmp_path):
    from flask_migrate import downgrade

    url = f"sqlite:///{tmp_path}/fresh.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade_database()
        with db.engine.connect() as connection:
            assert _drift(connection) == []
        downgrade(directory=app.extensions["migrate"].directory, revision="base")
    tables = set(inspect(create_engine(url)).get_table_names()) - {"alembic_version"}
    assert tables == set()


def test_the_speakers_list_migration_keeps_one_waiting_request_per_person(tmp_path):
    """Lists a double tap doubled before the unique index keep each person's first request."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path}/old.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="60d04b5e68ff")
        with db.engine.begin() as connection:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for row_id, user_id, status in [
                (1, 7, "waiting"),
                (2, 7, "waiting"),  # the double tap
                (3, 8, "waiting"),
                (4, 7, "done"),
                (5, 9, "withdrawn"),
            ]:
                connection.execute(
                    text(
                        "INSERT INTO floor_request (id, meeting_id, user_id, kind, status, "
                        "requested_at) VALUES (:id, 1, :user_id, 'contribution', :status, "
                        "'2026-11-24 21:00:00')"
                    ),
                    {"id": row_id, "user_id": user_id, "status": status},
                )
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, status FROM floor_request ORDER BY id"))
            assert [tuple(r) for r in rows] == [
                (1, "waiting"),
                (2, "withdrawn"),
                (3, "waiting"),
                (4, "done"),
                (5, "withdrawn"),
            ]


def test_the_spanish_search_configuration_downgrades_to_simple_and_back(database_url):
    """On PostgreSQL the search's configuration comes and goes with its migration, in the schema
    of the tables (here a throwaway one, as the benchmark uses); nothing changes on SQLite."""
    import pytest
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from assembly.bench.common import drop_schema, fresh_schema
    from assembly.organisations.models import OrganisationKind
    from assembly.organisations.service import create_organisation

    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL text search configuration; SQLite's FTS5 is the same throughout")
    url, schema = fresh_schema(database_url)
    expression = (
        "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
        "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
        "WHERE d.adrelid = 'search_document'::regclass AND a.attname = 'terms'"
    )
    configs = "SELECT count(*) FROM pg_ts_config WHERE cfgnamespace::regnamespace::text = :schema"
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
        with app.app_context():
            directory = app.extensions["migrate"].directory
            upgrade(directory=directory)
            with db.engine.connect() as connection:
                assert "'assembly_es'::regconfig" in connection.scalar(text(expression))
                assert connection.scalar(text(configs), {"schema": schema[1]}) == 1
                assert _drift(connection) == []
            downgrade(directory=directory, revision="9c3e5f7a2b18-1")  # the one before
            with db.engine.connect() as connection:
                before = connection.scalar(text(expression))
                assert "assembly_es" not in before and "'simple'::regconfig, title_terms" in before
                assert connection.scalar(text(configs), {"schema": schema[1]}) == 0
            # A row indexed before the upgrade is read again with the new configuration.
            org = create_organisation("Cooperativa Norte", OrganisationKind.WORKER_COOPERATIVE)
            db.session.execute(
                text(
                    "INSERT INTO search_document (kind, source_id, organisation_id, title, body, "
                    "happened_at, status, scope, title_terms, body_terms) VALUES ('decision', 1, "
                    ":org, 'Actas', '', now(), '', :scope, 'acta', 'compañer')"
                ),
                {"org": org.id, "scope": f"xqo{org.id} xqkdecision"},
            )
            db.session.commit()
            upgrade(directory=directory)
            with db.engine.connect() as connection:
                assert "'assembly_es'::regconfig" in connection.scalar(text(expression))
                terms = connection.scalar(text("SELECT terms::text FROM search_document"))
                assert terms == f"'acta':1A 'companer':4 'xqkdecision':3B 'xqo{org.id}':2B"
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_schema(*schema)
