from datetime import timedelta

from sqlalchemy import select

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.organisations.models import Invitation, Membership, Role
from tests.conftest import link_in, outbox_bodies

EN = {"Accept-Language": "en"}


def _invite(client, org, email="nueva@example.coop", role="member"):
    return client.post_form(f"/o/{org.slug}/invitations", {"email": email, "role": role})


def _memberships(app, org_id):
    with app.app_context():
        return {
            (m.user.email, m.role, m.left_at is None)
            for m in db.session.scalars(
                select(Membership).where(Membership.organisation_id == org_id)
            )
        }


def test_admin_invites_and_the_invitee_signs_up(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    response = _invite(client, org, "Nueva@Example.coop", "facilitator")
    assert response.status_code == 302
    link = link_in(outbox_bodies(app)[-1])
    # The admin sees the link right away, as there is no mail server.
    assert link in client.get(f"/o/{org.slug}/members").get_data(as_text=True)
    client.logout()

    page = client.get(link, headers=EN).get_data(as_text=True)
    assert "nueva@example.coop" in page and "Facilitator" in page
    response = client.post_form(
        link,
        {
            "display_name": "Nueva Compañera",
            "password": "clave-larga-1",
            "confirm": "clave-larga-1",
            "locale": "es_AR",
            "gender": "",
        },
    )
    assert response.status_code == 302
    assert response.location == f"/o/{org.slug}/"
    assert ("nueva@example.coop", Role.FACILITATOR, True) in _memberships(app, org.id)
    # Logged in at once.
    assert "Nueva Compañera" in client.get(f"/o/{org.slug}/members").get_data(as_text=True)


def test_sign_up_form_errors_create_nothing(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    _invite(client, org)
    client.logout()
    link = link_in(outbox_bodies(app)[-1])
    response = client.post_form(
        link,
        {"display_name": "", "password": "corta", "confirm": "otra", "locale": "xx"},
        headers=EN,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This field is required." in page
    assert "Use between 8 and 200 characters." in page
    assert "The passwords do not match." in page
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "nueva@example.coop")) is None


def test_an_existing_account_is_asked_to_log_in_and_then_accepts(app, client, coop, make_user):
    org, people = coop
    other = make_user(email="ya-tengo@example.coop")
    client.login(people["admin"].email)
    _invite(client, org, other.email)
    client.logout()
    link = link_in(outbox_bodies(app)[-1])
    page = client.get(link, headers=EN).get_data(as_text=True)
    assert "There is already an account" in page
    # Posting a sign-up for an address that has an account creates nothing.
    response = client.post_form(
        link, {"display_name": "X", "password": "clave-larga-1", "confirm": "clave-larga-1"}
    )
    assert response.status_code == 200
    client.login(other.email)
    response = client.post_form(link)
    assert response.status_code == 302
    assert (other.email, Role.MEMBER, True) in _memberships(app, org.id)
    # The link is spent.
    again = client.get(link, headers=EN)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_expired_revoked_and_unknown_invitations(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    _invite(client, org, "vence@example.coop")
    expired_link = link_in(outbox_bodies(app)[-1])
    with app.app_context():
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.email == "vence@example.coop")
        )
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    _invite(client, org, "revocada@example.coop")
    revoked_link = link_in(outbox_bodies(app)[-1])
    with app.app_context():
        invitation_id = db.session.scalar(
            select(Invitation.id).where(Invitation.email == "revocada@example.coop")
        )
    assert client.post_form(f"/o/{org.slug}/invitations/{invitation_id}/revoke").status_code == 302
    client.logout()

    expired = client.get(expired_link, headers=EN)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    signup = client.post_form(
        expired_link, {"display_name": "X", "password": "clave-larga-1", "confirm": "clave-larga-1"}
    )
    assert signup.status_code == 410
    revoked = client.get(revoked_link, headers=EN)
    assert revoked.status_code == 404 and "not valid" in revoked.get_data(as_text=True)
    assert client.get("/invitations/made-up-token").status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(
                select(User).where(User.email.in_(["vence@example.coop", "revocada@example.coop"]))
            )
            is None
        )


def test_a_new_invitation_replaces_the_pending_one(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    _invite(client, org, "dos@example.coop")
    first = link_in(outbox_bodies(app)[-1])
    _invite(client, org, "dos@example.coop", "secretary")
    second = link_in(outbox_bodies(app)[-1])
    client.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_inviting_a_current_member_is_refused(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    response = client.post_form(
        f"/o/{org.slug}/invitations",
        {"email": people["member"].email, "role": "member"},
        headers=EN,
    )
    assert response.status_code == 409
    assert "already a member" in response.get_data(as_text=True)


def test_bad_invitation_input(client, coop):
    org, people = coop
    client.login(people["admin"].email)
    for data in (
        {"email": "not-an-email", "role": "member"},
        {"email": "a" * 250 + "@x.coop", "role": "member"},
        {"email": "ok@example.coop", "role": "owner"},
    ):
        response = client.post_form(f"/o/{org.slug}/invitations", data, headers=EN)
        assert response.status_code == 400, data


def test_only_admins_invite(app, client, coop):
    org, people = coop
    for role in ("member", "facilitator", "secretary"):
        client.login(people[role].email)
        assert _invite(client, org).status_code == 403
        client.logout()
    assert outbox_bodies(app) == []


def test_an_invitation_cannot_be_accepted_twice_even_at_once(app, coop, make_user):
    from assembly.organisations import service
    from assembly.organisations.service import InvitationUsed

    org, _people = coop
    first, second = make_user(), make_user()
    with app.test_request_context():
        from assembly.organisations.models import Organisation

        _invitation, link = service.invite(
            db.session.get(Organisation, org.id), "x@example.coop", Role.MEMBER, actor=None
        )
        db.session.commit()
        token = link.rsplit("/", 1)[1]
        invitation = service.open_invitation(token)  # both requests got past this check
        service._claim(invitation, db.session.get(User, first.id))
        db.session.commit()
        try:
            service._claim(invitation, db.session.get(User, second.id))
            raise AssertionError("the second claim must fail")
        except InvitationUsed:
            db.session.rollback()
    emails = {e for e, _r, _a in _memberships(app, org.id)}
    assert first.email in emails and second.email not in emails


def test_an_invitation_is_accepted_only_by_the_invited_address(app, client, coop, make_user):
    """A forwarded admin invitation does not make whoever opens it an admin."""
    org, people = coop
    intruder = make_user(email="otra@example.coop")
    client.login(people["admin"].email)
    _invite(client, org, "Invitada@Example.coop", "admin")
    client.logout()
    link = link_in(outbox_bodies(app)[-1])
    before = _memberships(app, org.id)

    client.login(intruder.email)
    page = client.get(link, headers=EN)
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "invitada@example.coop" in text and "otra@example.coop" in text
    assert "nothing has changed" in text and "ask an admin" in text
    accept = client.post_form(link, headers=EN)
    assert accept.status_code == 403
    assert _memberships(app, org.id) == before
    # The page's button logs out and comes back to the invitation, for the invited person.
    response = client.post_form(f"/logout?next={link}")
    assert response.location == link
    signup = client.get(link, headers=EN).get_data(as_text=True)
    assert "Create your account for invitada@example.coop" in signup
    # The invitation is still there for the person it was meant for.
    invited = make_user(email="invitada@example.coop")
    client.login(invited.email)
    assert client.post_form(link).status_code == 302
    assert ("invitada@example.coop", Role.ADMIN, True) in _memberships(app, org.id)


def test_the_service_refuses_another_address_too(app, coop, make_user):
    from assembly.organisations import service
    from assembly.organisations.models import Organisation
    from assembly.organisations.service import InvitationForAnotherAddress

    org, _people = coop
    other = make_user(email="otra@example.coop")
    with app.test_request_context():
        _invitation, link = service.invite(
            db.session.get(Organisation, org.id), "x@example.coop", Role.ADMIN, actor=None
        )
        db.session.commit()
        token = link.rsplit("/", 1)[1]
        try:
            service.accept_invitation(token, db.session.get(User, other.id))
            raise AssertionError("another address must not accept")
        except InvitationForAnotherAddress:
            db.session.rollback()
        assert service.open_invitation(token).accepted_at is None
