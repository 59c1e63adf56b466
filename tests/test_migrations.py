"""The migrations build exactly the schema the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from assembly import create_app
from assembly.commands import upgrade_database
from assembly.extensions import db


def _drift(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
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
