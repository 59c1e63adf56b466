from sqlalchemy import func, select

from assembly.extensions import db
from assembly.organisations.models import Membership, NetworkMembership, Organisation, Role
from assembly.permissions import DELEGATE


def _counts(app):
    with app.app_context():
        return {
            "organisations": db.session.scalar(select(func.count(Organisation.id))),
            "memberships": db.session.scalar(select(func.count(Membership.id))),
            "links": db.session.scalar(select(func.count(NetworkMembership.id))),
        }


def _members_of(app, slug):
    with app.app_context():
        network = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
        return {
            link.member.name
            for link in db.session.scalars(
                select(NetworkMembership).where(NetworkMembership.network_id == network.id)
            )
        }


def test_demo_loads_the_three_networks_and_is_idempotent(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "marta@demo.coop" in result.output and "asamblea" in result.output
    first = _counts(app)
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts(app) == first
    assert len(_members_of(app, "rcc")) == 8
    assert len(_members_of(app, "rctps")) == 9
    assert len(_members_of(app, "rmnc")) == 4
    assert "Ingecoop" in _members_of(app, "rcc") & _members_of(app, "rctps")
    with app.app_context():
        roles = set(db.session.scalars(select(Membership.role).distinct()))
        assert roles == set(Role)


def test_demo_accounts_log_in_with_every_standing(app, runner):
    from assembly.accounts.service import find_user_by_email
    from assembly.demo.data import DEMO_PASSWORD
    from assembly.organisations.service import places_of

    runner.invoke(args=["demo"])
    client = app.test_client()
    client.login("diego@demo.coop", DEMO_PASSWORD)
    assert client.get("/o/rctps/").status_code == 200  # as Camba's delegate
    with app.app_context():
        standings = {
            p.standing
            for email in (
                "marta@demo.coop",
                "lucia@demo.coop",
                "carlos@demo.coop",
                "diego@demo.coop",
            )
            for p in places_of(find_user_by_email(email))
        }
        assert standings == set(Role) | {DELEGATE}


def test_demo_holds_the_networks_plans_as_commitments(app, runner):
    """The metallurgical network's recommendations by time frame and the construction
    network's four first agreements, with their follow-up, on the plan pages."""
    from assembly.commitments.models import Commitment, CommitmentEvent
    from assembly.demo.data import DEMO_PASSWORD, RCC_AGREEMENTS, RMNC_PLAN

    runner.invoke(args=["demo"])
    runner.invoke(args=["demo"])
    with app.app_context():
        count = db.session.scalar(select(func.count(Commitment.id)))
        assert count == len(RMNC_PLAN["commitments"]) + len(RCC_AGREEMENTS["commitments"])
        by_network = {
            slug: list(
                db.session.scalars(
                    select(Commitment).join(Organisation).where(Organisation.slug == slug)
                )
            )
            for slug in ("rmnc", "rcc")
        }
        frames = {c.time_frame.value for c in by_network["rmnc"]}
        assert frames == {"short", "medium", "long"}
        assert len(by_network["rcc"]) == 4
        statuses = {c.status.value for c in by_network["rmnc"] + by_network["rcc"]}
        assert {"done", "in_progress", "renegotiated", "blocked", "open"} <= statuses
        # Owned through member organisations, and each follow-up kept as dated history.
        assert any(o.owner_organisation_id for c in by_network["rmnc"] for o in c.owners)
        for commitment in by_network["rcc"]:
            events = db.session.scalars(
                select(CommitmentEvent).where(CommitmentEvent.commitment_id == commitment.id)
            ).all()
            assert len(events) >= 2 and all(e.at <= commitment.updated_at for e in events)
            assert commitment.meeting_id is not None
    client = app.test_client()
    client.login("hector@demo.coop", DEMO_PASSWORD)
    page = client.get("/o/rmnc/commitments").get_data(as_text=True)
    assert "Armar una página web comercial de la red" in page
    assert "Integrar verticalmente la cadena productiva" in page
    client.logout()
    client.login("rosa@demo.coop", DEMO_PASSWORD)
    page = client.get("/o/rcc/commitments").get_data(as_text=True)
    assert "Diseñar herramientas para aumentar las ventas del colectivo" in page


def test_create_organisation_command_prints_the_first_admins_invitation(app, runner):
    result = runner.invoke(
        args=["create-organisation", "Red Gráfica", "admin@grafica.example", "--kind", "network"]
    )
    assert result.exit_code == 0, result.output
    assert "/invitations/" in result.output
    link = "/invitations/" + result.output.split("/invitations/")[1].split()[0]
    client = app.test_client()
    response = client.post_form(
        link, {"display_name": "Admin", "password": "clave-larga-1", "confirm": "clave-larga-1"}
    )
    assert response.status_code == 302
    assert client.get("/o/red-grafica/members").status_code == 200


def test_serve_sends_each_write_at_once(app, runner, monkeypatch):
    """Without TCP_NODELAY, every response after the first on a kept-alive connection waited
    40 ms for the client's delayed acknowledgement of its headers before its body left."""
    import socket

    from gevent import pywsgi

    from assembly import commands
    from assembly.extensions import socketio

    options = {}
    monkeypatch.setattr(socketio, "run", lambda app, **kwargs: options.update(kwargs))
    monkeypatch.setattr(commands, "tune_garbage_collector", lambda: None)
    assert runner.invoke(args=["serve", "--port", "5999"]).exit_code == 0
    handler = options["handler_class"]
    assert issubclass(handler, pywsgi.WSGIHandler)

    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, _address = listener.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            handled = []
            monkeypatch.setattr(pywsgi.WSGIHandler, "handle", lambda self: handled.append(1))
            connection = handler.__new__(handler)
            connection.socket = accepted
            connection.handle()
            assert handled and accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
