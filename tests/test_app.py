import pytest
from sqlalchemy import text

from assembly import create_app
from assembly.config import ConfigError
from assembly.extensions import db


def test_production_without_secret_key_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSEMBLY_ENV", "production")
    monkeypatch.setenv("BASE_URL", "https://asamblea.example.coop")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_with_secret_key_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSEMBLY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-value")
    monkeypatch.setenv("BASE_URL", "https://asamblea.example.coop")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SECRET_KEY"] == "a-long-random-value"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ASSEMBLY_INSTANCE", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/assembly.sqlite3"


def test_postgres_urls_use_psycopg3(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("ASSEMBLY_INSTANCE", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/wal.db"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_health(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


@pytest.mark.parametrize(
    ("language", "title", "body"),
    [
        ("es-AR", "Página no encontrada", "No pudimos encontrar"),
        ("en", "Page not found", "We could not find"),
    ],
)
def test_not_found_page_in_both_languages(client, language, title, body):
    response = client.get("/no-such-page", headers={"Accept-Language": language})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert title in page and body in page


def test_errors_are_json_for_json_clients(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"]


def test_unexpected_error_is_a_friendly_500_without_internals(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom", headers={"Accept-Language": "es"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "secret internals" not in page
    assert "Algo salió mal" in page


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_are_mobile_first_and_accessible_by_structure(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<html lang="es-AR">' in page
    assert 'href="#main"' in page and '<main id="main"' in page
    assert '<label for="email">' in page and '<label for="password">' in page
    assert "cdn" not in page.lower()


def test_in_process_socket_clients_work_whatever_redis_url_the_environment_exports(
    monkeypatch, tmp_path, redis_url, make_app
):
    """An app built with a message queue (as `create_app()` is when REDIS_URL is exported) must
    not leave its queue behind for the next app: the in-process test client refuses queues."""
    from socketio import PubSubManager

    from assembly.extensions import socketio

    monkeypatch.setenv("REDIS_URL", redis_url)
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/queue.db"})
    assert isinstance(socketio.server.manager, PubSubManager)  # the environment's queue is used

    app = make_app()  # the tests' own configuration: no queue
    assert not isinstance(socketio.server.manager, PubSubManager)
    client = socketio.test_client(app)
    client.disconnect()


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_pages_and_static_files_leave_compressed(client, encoding):
    """What a phone downloads is compressed by the app itself (a real deployment has no other
    layer doing it): pages, and the static files, which stream through the compressor."""
    import gzip

    import brotli
    from flask_compress.compat import compression  # zstd, from the standard library or not

    decompress = {
        "gzip": gzip.decompress,
        "br": brotli.decompress,
        "zstd": compression.zstd.decompress,
    }
    for url in ("/login", "/static/css/app.css", "/static/vendor/socket.io/socket.io.min.js"):
        plain = client.get(url)
        sent = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert sent.headers["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in sent.headers["Vary"]
        body = decompress[encoding](sent.get_data())
        if url == "/login":  # a page carries a fresh CSRF token each time: compare its start
            assert body[:200] == plain.get_data()[:200]
        else:
            assert body == plain.get_data() and len(sent.get_data()) < len(body) / 2
