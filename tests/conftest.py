"""Fixtures in the Flask tutorial's pattern: app, client, runner, and small factories.

The schema is built once per session by the migrations (the path a real server takes) on
SQLite, or on the PostgreSQL named by DATABASE_URL; every test then starts from empty tables.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from assembly import create_app
from assembly.config import from_environment
from assembly.extensions import db

PASSWORD = "contraseña-segura"


def _database_url(tmp_path_factory) -> str:
    if os.environ.get("DATABASE_URL"):
        return from_environment("/unused")["SQLALCHEMY_DATABASE_URI"]
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "assembly-test.sqlite3")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


def config_for(database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Many people log in from 127.0.0.1 in one test; the limit's own tests lower it again.
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "REDIS_URL": None,
        "MAIL_SERVER": None,
        # Still Argon2id, at a cost that keeps hundreds of sign-ups in a test run quick.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        # In-process socket tests see each room state at once; live-server tests coalesce.
        "BROADCAST_INTERVAL_MS": 0,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _schema(database_url):
    from assembly.commands import upgrade_database

    app = create_app(config_for(database_url))
    with app.app_context():
        if not database_url.startswith("sqlite"):
            # A previous run may have left tables behind on the shared PostgreSQL database.
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
        upgrade_database()
        db.session.remove()
    yield


def empty_all_tables(app) -> None:
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


class AssemblyClient(FlaskClient):
    """A browser-like client: it carries the CSRF token the pages give it."""

    _token: str | None = None

    def csrf_token(self) -> str:
        page = self.get("/", headers={"Accept": "text/html"})
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert match, "the page carries a CSRF token"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.post_form("/logout")


@pytest.fixture
def make_app(database_url, _schema):
    """Builds an app on the test database; tables are emptied after the test."""
    apps = []

    def factory(**overrides):
        app = create_app(config_for(database_url, **overrides))
        app.test_client_class = AssemblyClient
        apps.append(app)
        return app

    yield factory
    if apps:
        empty_all_tables(apps[0])
    # Close each app's pooled connections now, not whenever it is collected: the PostgreSQL
    # server is shared, and a suite holding hundreds of idle connections starves it.
    for made in apps:
        with made.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app) -> AssemblyClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Org:
    id: int
    slug: str
    name: str


@pytest.fixture
def make_user(app):
    from assembly.accounts.service import create_user

    counter = iter(range(1, 10_000))

    def factory(name: str | None = None, email: str | None = None, **fields) -> Person:
        n = next(counter)
        name = name or f"Persona {n}"
        email = email or f"persona{n}@example.coop"
        with app.app_context():
            user = create_user(email, name, fields.pop("password", PASSWORD), **fields)
            db.session.commit()
            return Person(user.id, user.email, user.display_name)

    return factory


@pytest.fixture
def make_org(app):
    from assembly.accounts.models import User
    from assembly.organisations.models import OrganisationKind, Role
    from assembly.organisations.service import add_member, create_organisation

    def factory(
        name: str = "Cooperativa La Esperanza",
        kind: str = "worker_cooperative",
        members: dict | None = None,
    ) -> Org:
        """`members` maps a Person to a role name."""
        with app.app_context():
            organisation = create_organisation(name, OrganisationKind(kind))
            for person, role in (members or {}).items():
                add_member(organisation, db.session.get(User, person.id), Role(role), actor=None)
            db.session.commit()
            return Org(organisation.id, organisation.slug, organisation.name)

    return factory


@pytest.fixture
def coop(make_user, make_org):
    """A worker cooperative with one person in every role."""
    people = {
        role: make_user(name=f"{role.title()} Pérez", email=f"{role}@coop.example")
        for role in ("admin", "facilitator", "secretary", "member")
    }
    org = make_org("Cooperativa 7 de Septiembre", members={p: r for r, p in people.items()})
    return org, people


@dataclass(frozen=True)
class NetworkOfOne:
    network: Org
    coop: Org
    admin: Person  # the network's admin
    delegate: Person  # a member of the co-op, its delegate to the network
    partner: Person  # a member of the co-op, not a delegate


@pytest.fixture
def network_of_one(app, make_user, make_org):
    """A network with its admin, and one member co-op with its delegate and a partner."""
    from assembly.accounts.models import User
    from assembly.organisations.models import Organisation
    from assembly.organisations.service import add_to_network, name_delegate

    admin = make_user("Red Admin", "admin@red.example")
    delegate = make_user("Delegada Coop", "delegada@coop.example")
    partner = make_user("Socia Coop", "socia@coop.example")
    network = make_org("Red de Cooperativas", kind="network", members={admin: "admin"})
    coop = make_org("Cooperativa Uno", members={delegate: "member", partner: "member"})
    with app.app_context():
        link = add_to_network(
            db.session.get(Organisation, network.id), db.session.get(Organisation, coop.id)
        )
        db.session.flush()
        name_delegate(link, db.session.get(User, delegate.id))
        db.session.commit()
    return NetworkOfOne(network, coop, admin, delegate, partner)


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd): yields its port and what it received."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app that mails through `smtp_server`; `mail_app.mailed()` lists (to, body) sent."""
    port, inbox = smtp_server
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    app.mailed = lambda: [(m["To"], m.get_payload(decode=True).decode()) for m in inbox.messages]
    return app


def outbox_bodies(app) -> list[str]:
    from assembly.accounts.models import OutboxMessage

    with app.app_context():
        return [
            m.body for m in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def link_in(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


@dataclass(frozen=True)
class MeetingRef:
    id: int
    org_slug: str
    projector_token: str


@pytest.fixture
def make_meeting(app):
    """A meeting of an organisation, with agenda items given as titles (or dicts of fields)."""
    import secrets
    from datetime import timedelta

    from assembly.core.clock import utcnow
    from assembly.meetings.models import AgendaItem, Meeting, MeetingKind, MeetingStatus

    def factory(
        org: Org,
        *,
        status: str = "convened",
        kind: str = "ordinary_assembly",
        items=("Informe de la comisión", "Retiros 2027"),
        starts_in_minutes: int = 0,
        minutes: int = 120,
        **fields,
    ) -> MeetingRef:
        with app.app_context():
            starts = utcnow().replace(microsecond=0) + timedelta(minutes=starts_in_minutes)
            meeting = Meeting(
                organisation_id=org.id,
                kind=MeetingKind(kind),
                title=fields.pop("title", "Asamblea ordinaria"),
                starts_at=starts,
                planned_end_at=starts + timedelta(minutes=minutes),
                status=MeetingStatus(status),
                projector_token=secrets.token_urlsafe(24),
                **fields,
            )
            db.session.add(meeting)
            db.session.flush()
            for position, item in enumerate(items):
                values = {"title": item} if isinstance(item, str) else dict(item)
                db.session.add(AgendaItem(meeting_id=meeting.id, position=position, **values))
            db.session.commit()
            return MeetingRef(meeting.id, org.slug, meeting.projector_token)

    return factory


@pytest.fixture
def socket_for(app):
    """A Socket.IO test client logged in as `person` (through the real log-in form)."""
    from assembly.extensions import socketio

    clients = []

    def factory(person: Person | None = None, **query):
        http = app.test_client()
        if person is not None:
            http.login(person.email, person.password)
        sock = socketio.test_client(app, flask_test_client=http, **query)
        clients.append(sock)
        return sock

    yield factory
    for sock in clients:
        if sock.is_connected():
            sock.disconnect()


# The multi-process tests name their Redis explicitly; the in-process ones never use one, whatever
# REDIS_URL the environment exports (config_for sets it to None).
REDIS_URL = (
    os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
)


@pytest.fixture(scope="session")
def live_server(database_url, _schema):
    """One real `assembly serve` process (gevent) for the session, on the test database."""
    from tests.live import ServerProcess

    server = ServerProcess(database_url)
    yield server
    server.stop()


@pytest.fixture
def live_client(live_server):
    """Connects real python-socketio clients to the live server; closes them afterwards."""
    from tests.live import LiveClient

    clients = []

    def factory(person=None, meeting=None, *, server=None, projector=False):
        client = LiveClient(
            (server or live_server).url,
            None if projector else person,
            meeting_id=None if projector else meeting.id,
            projector_token=meeting.projector_token if projector else None,
        )
        clients.append(client)
        return client.connect()

    yield factory
    # Each close waits up to 3 s for the server's websocket close frame: close them together.
    closing = [threading.Thread(target=client.close) for client in clients]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join(10)


@pytest.fixture(scope="session")
def redis_url():
    """The real Redis of this machine; its absence fails the tests that need it, loudly."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is required at {REDIS_URL} for multi-process tests: {error}")
    return REDIS_URL


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import shutil

    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail(f"Browser tests need Debian's Chromium at {path}: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser, live_server):
    """Opens a page in a fresh browser context (its own cookies), logged in as `person`."""
    contexts = []

    def factory(person=None, *, width=390, height=844):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="es-AR", base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if person is not None:
            page.goto("/login")
            page.fill("#email", person.email)
            page.fill("#password", person.password)
            page.click("main button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def realistic(app, socket_for, live_server):
    """A realistic organisation (tests/realistic.py), its open polls closed afterwards."""
    from tests.realistic import build, close_open_polls

    world = build(app, socket_for)
    yield world
    close_open_polls(live_server.url, world)


@pytest.fixture
def make_poll(app):
    """Creates a draft poll in a meeting; returns its id."""
    from assembly.meetings.models import Meeting
    from assembly.organisations.models import Organisation
    from assembly.proposals.models import Proposal
    from assembly.voting.models import Eligibility, PollMethod, Weighting
    from assembly.voting.service import create_poll

    def factory(
        meeting_ref, method="yes_no", *, options=(), config=None, proposal_id=None, **fields
    ):
        with app.app_context():
            meeting = db.session.get(Meeting, meeting_ref.id)
            organisation = db.session.get(Organisation, meeting.organisation_id)
            proposal = db.session.get(Proposal, proposal_id) if proposal_id else None
            fields.setdefault("eligibility", Eligibility.PRESENT)
            fields.setdefault("weighting", Weighting.PERSON)
            poll = create_poll(
                organisation,
                title=fields.pop("title", "¿Aprobamos el balance?"),
                method=PollMethod(method),
                config=config or {},
                options=list(options),
                meeting=meeting,
                proposal=proposal,
                **fields,
            )
            db.session.commit()
            return poll.id

    return factory


@pytest.fixture
def room(coop, make_meeting, socket_for):
    """A live meeting of the co-op with everyone joined over in-process sockets, and the
    facilitator, member and secretary present (the admin is absent): (org, meeting, people,
    sockets by role)."""

    def ok(ack):
        assert ack["ok"], ack
        return ack

    org, people = coop
    meeting = make_meeting(org)
    socks = {role: socket_for(person) for role, person in people.items()}
    for sock in socks.values():
        ok(sock.emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(socks["facilitator"].emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    for role in ("facilitator", "member", "secretary"):
        ok(socks[role].emit("check_in", {"meeting_id": meeting.id}, callback=True))
    return org, meeting, people, socks
