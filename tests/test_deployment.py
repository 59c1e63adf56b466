"""What a deployment relies on: the public address, the secret key, cookies and headers."""

import os
import stat

import pytest
from flask.sessions import SecureCookieSessionInterface

from assembly import create_app
from assembly.config import ConfigError

PUBLIC = "https://asamblea.example.coop"


@pytest.fixture
def production(monkeypatch, tmp_path):
    """Creates apps as `ASSEMBLY_ENV=production` with the given environment."""
    monkeypatch.setenv("ASSEMBLY_ENV", "production")
    monkeypatch.setenv("ASSEMBLY_INSTANCE", str(tmp_path))
    for name in ("SECRET_KEY", "BASE_URL", "TRUSTED_HOSTS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def factory(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})

    return factory


def test_production_refuses_to_start_without_a_public_address(production):
    with pytest.raises(ConfigError, match="BASE_URL"):
        production(SECRET_KEY="a-long-random-value")


@pytest.mark.parametrize("base_url", ["http://asamblea.example.coop", "asamblea.example.coop"])
def test_production_refuses_a_public_address_that_is_not_https(production, base_url):
    with pytest.raises(ConfigError, match="BASE_URL"):
        production(SECRET_KEY="a-long-random-value", BASE_URL=base_url)


def test_production_answers_only_its_own_host_names(production):
    app = production(
        SECRET_KEY="a-long-random-value", BASE_URL=PUBLIC, TRUSTED_HOSTS="assembly.internal"
    )
    client = app.test_client()
    for host in ("asamblea.example.coop", "assembly.internal"):
        assert client.get("/login", headers={"Host": host}).status_code == 200
    for host in ("evil.example", "localhost", "asamblea.example.coop.evil.example"):
        assert client.get("/login", headers={"Host": host}).status_code == 400


def test_production_cookies_are_secure_and_https_is_enforced_by_hsts(production):
    app = production(SECRET_KEY="a-long-random-value", BASE_URL=PUBLIC)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/login", headers={"Host": "asamblea.example.coop"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_remember_me_cookie_is_secure_in_production_and_lasts_a_month(
    database_url, _schema, monkeypatch, tmp_path, make_user
):
    from tests.conftest import PASSWORD, config_for

    monkeypatch.setenv("ASSEMBLY_ENV", "production")
    monkeypatch.setenv("BASE_URL", PUBLIC)
    app = create_app(config_for(database_url, WTF_CSRF_ENABLED=False))
    person = make_user()
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "remember": "y"},
        base_url=PUBLIC,
    )
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    remember = cookies["remember_token"]
    assert "Secure" in remember and "HttpOnly" in remember
    assert "Secure" in cookies["session"]
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    days = (expires - datetime.now(UTC)).days
    assert 29 <= days <= 30


def test_development_sends_no_hsts_and_needs_no_settings(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "BASE_URL", "ASSEMBLY_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSEMBLY_INSTANCE", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    response = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert app.config["REMEMBER_COOKIE_SECURE"] is False


def test_websockets_may_only_connect_to_the_page_own_origin(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    [connect] = [d.strip() for d in csp.split(";") if d.strip().startswith("connect-src")]
    assert connect == "connect-src 'self'"


# --- the secret key ---------------------------------------------------------------------------

PUBLISHED_KEY = "assembly-development-only-not-secret"  # the key the source used to carry


def _development_app(monkeypatch, instance, **config):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ASSEMBLY_ENV", raising=False)
    monkeypatch.setenv("ASSEMBLY_INSTANCE", str(instance))
    config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance}/x.db")
    return create_app(config)


def test_without_a_secret_key_one_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    first = _development_app(monkeypatch, tmp_path / "one")
    key_file = tmp_path / "one" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) >= 64 and key != PUBLISHED_KEY
    assert key_file.read_text().strip() == key
    # Reused after a restart; another installation gets its own.
    assert _development_app(monkeypatch, tmp_path / "one").config["SECRET_KEY"] == key
    assert _development_app(monkeypatch, tmp_path / "two").config["SECRET_KEY"] != key
    # A key file others could read is made private again.
    os.chmod(key_file, 0o644)
    _development_app(monkeypatch, tmp_path / "one")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_the_published_development_key_is_gone_from_the_source():
    import pathlib

    import assembly

    root = pathlib.Path(assembly.__file__).parent
    for path in root.rglob("*.py"):
        assert PUBLISHED_KEY not in path.read_text(), path


def test_a_session_forged_with_the_published_key_opens_nothing(
    database_url, _schema, monkeypatch, tmp_path, make_user
):
    from tests.conftest import config_for

    person = make_user()
    app = _development_app(
        monkeypatch, tmp_path, **{**config_for(database_url), "SECRET_KEY": None}
    )
    forger = SecureCookieSessionInterface().get_signing_serializer(
        type("App", (), {"secret_key": PUBLISHED_KEY, "config": app.config})()
    )
    client = app.test_client()
    client.set_cookie("session", forger.dumps({"_user_id": str(person.id), "_fresh": True}))
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.live
def test_assembly_serve_links_to_where_it_listens_by_default(app, live_server, make_user, make_org):
    import re

    from tests.conftest import outbox_bodies
    from tests.live import login

    admin = make_user()
    org = make_org(members={admin: "admin"})
    # Reached under another name than the one it listens on: links still name where it listens.
    other_name = live_server.url.replace("127.0.0.1", "localhost")
    http = login(other_name, admin.email, admin.password)
    page = http.get(f"{other_name}/o/{org.slug}/members", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = http.post(
        f"{other_name}/o/{org.slug}/invitations",
        data={"csrf_token": token, "email": "nueva@example.coop", "role": "member"},
        timeout=10,
    )
    assert response.status_code == 200
    assert f"{live_server.url}/invitations/" in outbox_bodies(app)[-1]
