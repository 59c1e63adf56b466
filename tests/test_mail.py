"""With a mail server configured, invitations and resets go out by SMTP (real, on loopback)."""

import socket


def test_invitations_and_resets_are_mailed(make_app, make_user, make_org, smtp_server):
    from assembly.accounts.models import OutboxMessage
    from assembly.extensions import db

    port, inbox = smtp_server
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_SENDER="asamblea@coop.example",
    )
    admin = make_user(email="admin@coop.example")
    org = make_org(members={admin: "admin"})
    client = app.test_client()
    client.login(admin.email)
    client.post_form(
        f"/o/{org.slug}/invitations", {"email": "nueva@coop.example", "role": "member"}
    )
    client.logout()
    client.post_form("/password/forgot", {"email": admin.email})

    invitation, reset = inbox.messages
    assert invitation["To"] == "nueva@coop.example"
    assert invitation["From"] == "asamblea@coop.example"
    assert "/invitations/" in invitation.get_payload(decode=True).decode()
    assert reset["To"] == admin.email
    assert "/password/reset/" in reset.get_payload(decode=True).decode()
    with app.app_context():
        assert all(m.sent_at is not None for m in db.session.scalars(db.select(OutboxMessage)))


def test_an_unreachable_mail_server_keeps_the_message_for_the_admins(make_app, make_user, make_org):
    from assembly.accounts.models import OutboxMessage
    from assembly.extensions import db

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    admin = make_user()
    org = make_org(members={admin: "admin"})
    client = app.test_client()
    client.login(admin.email)
    response = client.post_form(
        f"/o/{org.slug}/invitations", {"email": "nueva@coop.example", "role": "member"}
    )
    assert response.status_code == 302
    with app.app_context():
        [message] = db.session.scalars(db.select(OutboxMessage)).all()
        assert message.sent_at is None
    assert "/invitations/" in client.get(f"/o/{org.slug}/outbox").get_data(as_text=True)
